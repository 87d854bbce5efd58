/**
 * The worked example of protocols.md §4.2 (illustrative values; Coinsuper publishes no official
 * test vector). The simulator accepts these credentials; tests use them as vectors.
 */
export const DEMO_CREDENTIALS = {
  accessKey: 'myAccessKey',
  secretKey: 'mySecretKey',
  email: 'demouser@demo.domain',
} as const;
