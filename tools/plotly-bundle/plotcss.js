// Write plotly.js's stylesheet to a file. plotly.js normally injects these rules in a <style>
// element at run time, which Tend's Content-Security-Policy (style-src 'self') refuses.
'use strict';
var fs = require('fs');
var path = require('path');

var source = fs.readFileSync(require.resolve('plotly.js/build/plotcss.js'), 'utf8');
var start = source.indexOf('var rules = ');
var end = source.indexOf('};', start);
if(start < 0 || end < 0) throw new Error('plotcss.js changed shape: rules object not found');
// The object literal is plain data (strings only); evaluate it at build time, never in a page.
var rules = new Function('return ' + source.slice(start + 'var rules = '.length, end + 1))();

var css = Object.keys(rules).map(function(selector) {
    var full = selector.replace(/^,/, ' ,')
        .replace(/X/g, '.js-plotly-plot .plotly')
        .replace(/Y/g, '.plotly-notifier');
    return full + '{' + rules[selector] + '}';
}).join('\n');

var out = process.argv[2];
fs.mkdirSync(path.dirname(out), {recursive: true});
fs.writeFileSync(out, '/* plotly.js ' + require('plotly.js/package.json').version +
    ' stylesheet, extracted by tools/plotly-bundle/plotcss.js */\n' + css + '\n');
console.log('wrote ' + out);
