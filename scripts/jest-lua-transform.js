/** Jest's counterpart of webpack.config.js' `.lua` rule: a `.lua` module is its source text. */
module.exports = {
  process(source) {
    return { code: `module.exports = ${JSON.stringify(source)};` };
  },
};
