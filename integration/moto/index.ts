export { MotoServer, freePort, assertInstalled, MOTO_INSTALL_HINT, MOTO_REGION, MOTO_CREDENTIALS, type MotoServerOptions } from './moto-server';
export { motoClientConfig, motoEc2, motoSsm, motoEnv } from './clients';
export { putGitHubAppParameters, DEFAULT_APP_PARAMETER_NAMES, type AppParameterNames } from './ssm';
export { AwsCallCounter, type TerminationCall } from './aws-call-counter';
