/** This package's version; plugins declare the range of it they support (`coreVersion`). Keep equal to package.json. */
export const CORE_VERSION = '0.1.0';
