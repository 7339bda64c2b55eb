/** A `.lua` file imported from TypeScript is its source text (webpack.config.js, jest.config.js). */
declare module '*.lua' {
  const source: string;
  export default source;
}
