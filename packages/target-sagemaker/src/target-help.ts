/** The text of `berth help -t sagemaker`. Free of imports so help never loads the AWS SDK. */
export function targetHelp(): string {
  return `Target 'sagemaker': Amazon SageMaker endpoints (MLflow's SageMaker deployment client).

URIs
  sagemaker                          region: the AWS SDK's (AWS_REGION, profile), else us-west-2
  sagemaker:/REGION                  e.g. sagemaker:/us-east-1
  sagemaker:/REGION/ROLE_ARN         every AWS call runs as ROLE_ARN (STS AssumeRole)

The package is being built; see its README for the state of each command.
`;
}
