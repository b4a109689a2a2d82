// One temporary-lab helper for both packages' tests: the controller's (test code only).
export * from '../../../controller/test/support/lab.js';
