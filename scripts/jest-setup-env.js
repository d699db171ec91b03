// Tests run on Node 20 while the deployed Lambda runs nodejs22.x: the AWS SDK's notice
// about Node 20 support ending would repeat in every test file, hiding real output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
