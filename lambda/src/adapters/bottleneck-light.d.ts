// bottleneck ships types for its main entry only; the light build (no Redis clustering)
// is the one the Octokit throttling plugin loads, and the one we bundle.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
