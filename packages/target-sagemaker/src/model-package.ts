import { BerthError, type ProgressEvent } from '@berth/core';

/**
 * The model a deployment ships: its local directory (downloaded by `@berth/model` from any model
 * URI) and the flavor SageMaker serves. `python_function` runs in MLflow's `mlflow-pyfunc` image,
 * exactly as MLflow deploys it; `onnx` and `js` run in Berth's serving image.
 */

export const BERTH_IMAGE_FLAVORS = ['onnx', 'js'] as const;
export const MLFLOW_IMAGE_FLAVOR = 'python_function';
export const SUPPORTED_DEPLOYMENT_FLAVORS = [MLFLOW_IMAGE_FLAVOR, ...BERTH_IMAGE_FLAVORS] as const;

export interface ModelPackage {
  /** The model directory; its contents become the root of model.tar.gz. */
  directory: string;
  flavor: string;
  /** The MLflow version that saved the model: the tag of the `mlflow-pyfunc` image. */
  mlflowVersion: string | undefined;
  flavors: string[];
}

function pythonList(values: readonly string[]): string {
  return `[${values.map((value) => `'${value}'`).join(', ')}]`;
}

/**
 * MLflow's flavor rules and messages (`_validate_deployment_flavor`, `_get_preferred_deployment_flavor`),
 * with Berth's flavors added. Without a requested flavor, Berth's image is preferred (an MLflow ONNX
 * model has both `onnx` and `python_function`; Berth serves it without building a Python environment).
 */
export function selectDeploymentFlavor(flavors: readonly string[], requested?: string): string {
  const supported = pythonList(SUPPORTED_DEPLOYMENT_FLAVORS);
  if (requested === undefined) {
    const preferred = [...BERTH_IMAGE_FLAVORS, MLFLOW_IMAGE_FLAVOR].find((flavor) => flavors.includes(flavor));
    if (preferred !== undefined) return preferred;
    throw new BerthError(
      `The specified model does not contain any of the supported flavors for deployment. The model contains the following flavors: ${pythonList(flavors)}. Supported flavors: ${supported}`,
      {
        code: 'RESOURCE_DOES_NOT_EXIST',
        suggestions: [
          'Save the model with an onnx flavor (Berth serves it) or a python_function flavor (MLflow serves it).',
        ],
      },
    );
  }
  if (!(SUPPORTED_DEPLOYMENT_FLAVORS as readonly string[]).includes(requested)) {
    throw BerthError.invalidParameterValue(
      `The specified flavor: \`${requested}\` is not supported for deployment. Please use one of the supported flavors: ${supported}`,
    );
  }
  if (!flavors.includes(requested)) {
    throw new BerthError(
      `The specified model does not contain the specified deployment flavor: \`${requested}\`. Please use one of the following deployment flavors that the model contains: ${pythonList(
        flavors.filter((flavor) => (SUPPORTED_DEPLOYMENT_FLAVORS as readonly string[]).includes(flavor)),
      )}`,
      { code: 'RESOURCE_DOES_NOT_EXIST' },
    );
  }
  return requested;
}

/** True for the flavors that run in Berth's serving image. */
export function usesBerthImage(flavor: string): boolean {
  return (BERTH_IMAGE_FLAVORS as readonly string[]).includes(flavor);
}

/** Downloads (or finds) the model and picks its flavor; loads `@berth/model` only here. */
export async function prepareModel(
  modelUri: string,
  requestedFlavor?: string,
  onProgress?: (event: ProgressEvent) => void,
): Promise<ModelPackage> {
  const { resolveModelUri, loadMLmodel } = await import('@berth/model');
  // A download reports its retries (a tracking server that does not answer can take minutes).
  const directory = await resolveModelUri(modelUri, onProgress ? { onProgress } : {});
  let metadata: Awaited<ReturnType<typeof loadMLmodel>>;
  try {
    metadata = await loadMLmodel(directory);
  } catch (error) {
    if (BerthError.isInstance(error) && error.code === 'RESOURCE_DOES_NOT_EXIST') {
      throw BerthError.invalidParameterValue(
        `Failed to find MLmodel configuration within the specified model's root directory. (Looked in ${directory} for model URI ${modelUri}.)`,
        { cause: error },
      );
    }
    throw error;
  }
  const flavors = Object.keys(metadata.flavors);
  return {
    directory,
    flavor: selectDeploymentFlavor(flavors, requestedFlavor),
    mlflowVersion: metadata.mlflowVersion,
    flavors,
  };
}
