export { createEngine, Engine } from './engine.js';
export type { EngineConv2dOptions, EngineStats, FilterInput } from './engine.js';
export type { EngineOptions } from './engine-options.js';
export { GradientOps } from './gradients.js';
export type { AdamUpdateOptions, SgdUpdateOptions } from './ops/backward/optimizer.js';
export { Tensor, TensorStateError } from './tensor.js';
export { GpuError } from './gpu/dispatcher.js';
export type { PassProfiler, DispatcherStats } from './gpu/dispatcher.js';
export { NoWebGpuError } from './gpu/device.js';
export type { AdapterInfo, DeviceOptions } from './gpu/device.js';
export { CondenseArgumentError } from './ops/args.js';
export type { Pair, Padding } from './ops/window.js';
export type { Activation, Conv2dOptions } from './ops/conv2d.js';
export type { PoolingType, PoolOptions, TfPoolOptions } from './ops/pool.js';
export type { GlobalPoolOptions } from './ops/global-pool.js';
export * as reference from './reference/index.js';
export type { HostTensor } from './reference/index.js';
export { GpuProfiler } from './gpu/profiler.js';
export type { GpuProfilerOptions, Measurement, PassTiming, TimingSource } from './gpu/profiler.js';
// Models: Sequential, Keras-like layers, TF.js Layers loading.
export type { EngineDenseOptions, OperandInput } from './engine.js';
export type { DenseActivation } from './ops/dense.js';
export type { ZeroPadding, ZeroPadOptions } from './ops/layout.js';
export type { Cropping, CroppingOptions } from './ops/layout.js';
export type { CoordinateTransformationMode, NearestMode, Resize2dOptions, ResizeMethod, UpSampling2dOptions } from './ops/resize.js';
export { sequential, Sequential } from './models/sequential.js';
export type { SequentialOptions, PredictOptions, LayerOutput, SummaryRow, LayerTiming } from './models/sequential.js';
export {
  conv2d, relu, activation, maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, flatten, dropout, zeroPadding2d, dense,
  Layer, Conv2D, ReLU, Activation as ActivationLayer, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
  Flatten, Dropout, ZeroPadding2D, Dense,
} from './models/layers.js';
export type {
  Stage, WeightSpec, LayerOptions, Conv2DLayerOptions, Pool2DLayerOptions, GlobalPoolLayerOptions, DenseLayerOptions, ZeroPadding2DLayerOptions,
} from './models/layers.js';
export { loadLayersModel, ModelLoadError, SUPPORTED_LAYERS } from './models/load-layers.js';
export type { LayersModel, LayersModelSource, LayersModelArtifacts, LoadLayersModelOptions } from './models/load-layers.js';
export { FunctionalModel } from './models/functional.js';
export type { FunctionalSummaryRow, GraphInput } from './models/functional.js';
export type { SaveTarget, SaveResult, SaveHandler, SaveArtifacts, SavedModelJson } from './models/save.js';
export { foldBatchNorm } from './models/fold-batchnorm.js';
export type { BatchNormParams } from './models/fold-batchnorm.js';
// ONNX: loading models (NCHW), and the ops they need beyond the core.
export { loadOnnxModel, parseOnnxModel, OnnxLoadError } from './onnx/load.js';
export type { OnnxModelSource, LoadOnnxModelOptions } from './onnx/load.js';
export { OnnxModel } from './onnx/model.js';
export type { OnnxValueInfo, OnnxSummaryRow } from './onnx/model.js';
export { SUPPORTED_OPS as SUPPORTED_ONNX_OPS } from './onnx/ops.js';
export { MIN_OPSET as MIN_ONNX_OPSET, MAX_OPSET as MAX_ONNX_OPSET } from './onnx/graph.js';
export { buildOnnxModel } from './onnx/build.js';
export type { OnnxModelSpec, OnnxNodeSpec, OnnxInitializer, OnnxAttr, OnnxValueSpec } from './onnx/build.js';
export type { LeakyReluOptions, ClipOptions } from './ops/elementwise.js';
export type { EluOptions, HardSigmoidOptions, GeluOptions } from './ops/unary.js';
export type { SoftmaxOptions } from './ops/softmax.js';
export type { Conv2dTransposeOptions, EngineConv2dTransposeOptions, TransposeFilterInput } from './ops/conv-transpose.js';
export type { PadMode, PadOptions } from './ops/pad.js';
export type { SliceOptions } from './ops/slice.js';
export type { ReduceOp, ReduceOptions } from './ops/reduce.js';
// Training: the backward kernels of convolution, pooling, dropout and batch normalization (engine.grad).
export type { BiasBackwardOptions, Conv2dBackpropFilterOptions, Conv2dBackpropInputOptions } from './ops/backward/conv.js';
export type { AvgPoolBackwardOptions } from './ops/backward/pool.js';
export type { DropoutOptions } from './ops/backward/dropout.js';
export type { BatchNormBackwardOptions, BatchNormBackwardResult, BatchNormTrainingOptions, BatchNormTrainingResult } from './ops/backward/batchnorm.js';
// Training: the backward kernels of dense, the activations, the losses and the reductions (engine.grad).
export type { DenseBackwardOptions, DenseGradients } from './ops/backward/dense.js';
export type { ActivationBackwardKind, ActivationBackwardOptions } from './ops/backward/activation.js';
export type { AccuracyKind, CrossentropyOptions, LabelsInput, LossResult } from './ops/backward/loss.js';
export type { GlobalMaxPoolBackwardOptions, MaxPoolTies } from './ops/backward/reduce.js';
// Training (issue 16): compile / fit / evaluate on Sequential and FunctionalModel, the optimizers, a model as a layer.
export { sgd, adam, Optimizer, SGD, Adam } from './training/optimizers.js';
export type { SgdOptions, AdamOptions } from './training/optimizers.js';
export { TrainingError } from './training/trainer.js';
export type {
  CompileOptions, FitOptions, FitCallbacks, BatchLogs, EpochLogs, History, EvaluateOptions, EvaluateResult, LossName, TrainingInput, TrainingTarget,
} from './training/types.js';
export type { GatherIndices, GatherOptions } from './ops/gather.js';
export { ModelLayer } from './models/model-layer.js';
