import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'target-sagemaker',
    // src/: request-sequence tests beside the code (aws-sdk-client-mock); test/: wire-format and
    // end-to-end tests against moto_server and a loopback SageMaker server.
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
