// Only the trace types Tend draws, so the page ships a fraction of the full plotly.js.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
  require('plotly.js/lib/bar'),
  require('plotly.js/lib/barpolar'),
  require('plotly.js/lib/scatter'),
]);

module.exports = Plotly;
