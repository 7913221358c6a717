/** This dmgan's version (test/package.test.ts keeps it equal to package.json's). */
export const DMGAN_VERSION = '0.1.0';
