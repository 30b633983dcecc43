/** A model file that cannot be loaded: bad JSON, unsupported layers, weights that do not fit. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

const PREFIX = 'loadLayersModel';

export const failLoad = (message: string): never => {
  throw new ModelLoadError(`${PREFIX}: ${message}`);
};
