import { formatConfigHelp } from '@berth/core';
import { configSchema } from './sagemaker-config.js';

/**
 * The text of `berth help -t sagemaker`. The config table comes from `configSchema` (core's
 * `formatConfigHelp`), so help and schema cannot drift; nothing here loads the AWS SDK.
 */
export function targetHelp(): string {
  return `Target 'sagemaker': Amazon SageMaker endpoints (MLflow's SageMaker deployment client, in TypeScript).

URIs
  sagemaker                      region: the AWS SDK's (AWS_REGION, AWS_DEFAULT_REGION, the profile's), else us-west-2
  sagemaker:/REGION              e.g. sagemaker:/us-east-1
  sagemaker:/REGION/ROLE_ARN     every AWS call runs as ROLE_ARN (STS AssumeRole), e.g. to deploy into another account
  Credentials, profiles and endpoints come from the AWS SDK's chain: AWS_PROFILE, AWS_ACCESS_KEY_ID/…,
  AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (SAGEMAKER, SAGEMAKER_RUNTIME, S3, STS, IAM, ECR, CLOUDWATCH).

Deployments are SageMaker endpoints named after the deployment
  create   --name N -m MODEL [-f FLAVOR] [-C …]   uploads MODEL as s3://BUCKET/N-model-<id>/model.tar.gz (streamed),
           then CreateModel, CreateEndpointConfig, CreateEndpoint; waits until InService (synchronous=true).
           A create that fails (the endpoint ends Failed, or a call is refused) removes what it made: the
           endpoint, its config, model and model.tar.gz; with archive=true it keeps them and says how to delete.
  update   --name N -m MODEL [-C mode=replace|add]  a new model and endpoint config, then UpdateEndpoint; replace
           (default) swaps the variants, add adds one at weight 0. N must exist (else RESOURCE_DOES_NOT_EXIST,
           nothing created). Data capture, async inference, the explainer and serverless settings are kept
           unless given again ('{}' turns one off). An update SageMaker rolls back (InService on the old
           config) fails, and its unused new model and config are removed (unless archive=true).
           Guarded rollouts: -C traffic_routing=CANARY|LINEAR|ALL_AT_ONCE [-C traffic_step=10%|2]
           [-C wait_interval_seconds=300] [-C termination_wait_seconds=…] [-C rollback_alarms=a,b], or
           -C deployment_config='{…SageMaker DeploymentConfig…}'. A rollback names the alarm and its reason.
  delete   --name N      the endpoint, then (synchronous, not archived) its config, models and model.tar.gz.
           Deleting a missing deployment succeeds.
  list / get             name, state (SageMaker's EndpointStatus), url (the invoke URL), arn, dates; get adds the
                         variants (model, weight, instance type and count, serverless), data capture, async and
                         explainer configs, a blue/green update in progress, flavor and model URI.
  predict  --name N -I input.json   any Berth input (scoring-protocol JSON, CSV, lists, dicts of columns) and
           params. On an asynchronous-inference endpoint the input goes to S3, InvokeEndpointAsync queues it
           and the answer is read from S3 (BERTH_SAGEMAKER_ASYNC_TIMEOUT_SECONDS, default 600).
  predict-stream         InvokeEndpointWithResponseStream; chunks as they arrive (Berth's image streams JSON Lines).
  explain  --name N -I input.json   SageMaker Clarify (EnableExplanations), when the endpoint has an explainer
           (-C explainer_config='{"ClarifyExplainerConfig":{…}}'); otherwise NOT_IMPLEMENTED with the reason.
  --endpoint E with --name N: variant N of endpoint E (TargetVariant).

Endpoints are SageMaker endpoints seen through their production variants
  create-endpoint --endpoint E -C traffic='{"a":90,"b":10}'   a new endpoint with one variant per deployment
           (a copy of its current model), weighted as given.
  update-endpoint --endpoint E -C traffic='{"a":50,"b":50}' [-C capacity='{"a":2}']   new weights and instance
           counts (UpdateEndpointWeightsAndCapacities; variants left out get weight 0). Works on any endpoint,
           e.g. a deployment updated with mode=add.
  get-endpoint / list-endpoints   variants, weights (traffic), instance counts.
  delete-endpoint --endpoint E    endpoints made by create-endpoint only (deployments: berth delete).

Config keys (-C key=value; JSON values use SageMaker's own field names, as MLflow passes them to boto3)
${formatConfigHelp(configSchema)}

Images
  onnx, js          Berth's serving image (@berth/scoring-server in SageMaker mode): BERTH_SAGEMAKER_IMAGE_URL,
                    else ECR <account>.dkr.ecr.<region>.amazonaws.com/berth-scoring-server:<this package's version>.
                    Build and push it:  npx berth-sagemaker image --out ./berth-image   (prints the docker build
                    and ECR push commands). A js model's code runs in the container (BERTH_ALLOW_CODE=true).
  python_function   MLflow's image: MLFLOW_SAGEMAKER_DEPLOY_IMG_URL, else ECR mlflow-pyfunc:<the MLflow version in
                    the model's MLmodel> (build it with mlflow sagemaker build-and-push-container).
  Without -f, onnx and js models use Berth's image; -f python_function picks MLflow's.
  Container environment: MLFLOW_DEPLOYMENT_FLAVOR_NAME, SERVING_ENVIRONMENT=SageMaker, then env, then this
  machine's http_proxy/https_proxy/no_proxy.

Environment
  BERTH_SAGEMAKER_IMAGE_URL, MLFLOW_SAGEMAKER_DEPLOY_IMG_URL   default images (above)
  BERTH_SAGEMAKER_POLL_SECONDS                                  status poll interval (default 5)
  BERTH_SAGEMAKER_ASYNC_TIMEOUT_SECONDS                         asynchronous predict wait (default 600)

Different from MLflow, on purpose
  unknown -C keys are errors with a "did you mean" (MLflow ignores bucket_name); booleans in any case;
  JSON values are checked; a user tag app_name is refused before anything is created; delete is idempotent;
  list pages through every endpoint and gives name/state/url; get is typed (no ResponseMetadata); predict
  takes dicts; update keeps data capture/async/serverless; tags are applied on update too; guarded rollouts,
  endpoints, streaming, explanations and asynchronous predict; a timeout is DEADLINE_EXCEEDED; the ECR lookup
  uses the assumed role; an IAM user without execution_role_arn gets an error saying what to pass;
  update of a name that does not exist is RESOURCE_DOES_NOT_EXIST (MLflow creates it); a failed create
  removes its endpoint, config, model and model.tar.gz unless archive=true (MLflow keeps them).
`;
}
