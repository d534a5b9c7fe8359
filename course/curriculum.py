"""The course map: one entry per lecture notebook that exists, with its modules.

The README's course map and notebook 00 show it; tests keep the README, this
table and ``notebooks/`` in step, so a new lecture adds its row here. Each row
names the ``course`` modules whose functions and classes its notebook calls
(besides :data:`SHARED`, which every lecture uses), and every such module's
docstring names the lectures back: ``tests/test_curriculum.py`` checks both
against the notebooks' code, and ``docs/architecture.md`` draws the result.

Used in lecture 00.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lecture:
    """One lecture notebook.

    Attributes:
        notebook: file stem in ``notebooks/``.
        topic: the lecture's subject.
        shows: what it shows and measures.
        modules: the ``course`` modules (dotted names) that define what the
            notebook calls, :data:`SHARED` left out.
    """

    notebook: str
    topic: str
    shows: str
    modules: tuple[str, ...] = ()


SHARED: tuple[str, ...] = ("course.config", "course.results")
"""Modules every lecture uses: profiles, seeds and folders; checked claims."""


LECTURES: tuple[Lecture, ...] = (
    Lecture(
        "00_start_here",
        "Start here",
        "environment and GPU report, data sources, a first run watched in TensorBoard",
        modules=(
            "course.curriculum",
            "course.data.mnist_digits",
            "course.data.preprocessing",
            "course.data.small_sets",
            "course.models.perceptrons",
            "course.plots.curves",
            "course.plots.images",
            "course.training.runs",
        ),
    ),
    Lecture(
        "01_perceptron_and_activations",
        "Perceptron and activations",
        "AND/OR learned, XOR failed then solved by an MLP; activations and "
        "derivatives; "
        "softmax; the task/activation/loss table run as code",
        modules=(
            "course.activations",
            "course.data.preprocessing",
            "course.data.small_sets",
            "course.layers",
            "course.models.perceptrons",
            "course.plots.curves",
            "course.plots.functions",
            "course.plots.images",
            "course.training.runs",
        ),
    ),
    Lecture(
        "02_training_and_generalization",
        "Training and generalization",
        "splits and normalisation; underfitting, good fit, overfitting on MNIST; early "
        "stopping, dropout, L2 and batch norm compared",
        modules=(
            "course.data.mnist_digits",
            "course.data.preprocessing",
            "course.models.perceptrons",
            "course.plots.curves",
            "course.tensorboard.hparams",
            "course.training.diagnosis",
            "course.training.runs",
        ),
    ),
    Lecture(
        "03_convolution_arithmetic",
        "Convolution arithmetic",
        "hand-set filters on a photo; (k^2 m + 1) n; 1x1 and 5x5 vs two 3x3; the "
        "guide's size relationships checked against Keras; receptive fields, "
        "equivariance, MACs",
        modules=(
            "course.arithmetic.macs",
            "course.arithmetic.parameters",
            "course.arithmetic.receptive_fields",
            "course.arithmetic.sizes",
            "course.data.sample_images",
            "course.models.lenet",
            "course.plots.convolution",
            "course.plots.images",
        ),
    ),
    Lecture(
        "04_lenet",
        "LeNet-5",
        "61,706 parameters trained on MNIST; filters, feature maps, confusion matrix, "
        "misclassified digits",
        modules=(
            "course.augment.pipelines",
            "course.data.mnist_digits",
            "course.models.lenet",
            "course.plots.confusion",
            "course.plots.curves",
            "course.plots.filters",
            "course.plots.images",
            "course.tensorboard.callbacks",
            "course.training.runs",
        ),
    ),
    Lecture(
        "05_alexnet_and_vgg",
        "AlexNet and VGG",
        "parameters, MACs, activation memory and receptive fields next to the "
        "published figures; dense vs conv; ReLU vs tanh, each at its fastest "
        "learning rate, epochs to 25% ... 2% training error; scaled-down training",
        modules=(
            "course.arithmetic.macs",
            "course.arithmetic.memory",
            "course.arithmetic.parameters",
            "course.arithmetic.receptive_fields",
            "course.data.cifar10_binary",
            "course.models.alexnets",
            "course.models.lenet",
            "course.models.vggs",
            "course.plots.confusion",
            "course.plots.curves",
            "course.plots.images",
            "course.tensorboard.hparams",
            "course.training.probes",
            "course.training.runs",
        ),
    ),
    Lecture(
        "06_inception_resnet_densenet",
        "Inception, ResNet and DenseNet",
        "GoogLeNet and ResNet Table 1 from the models; GoogLeNet's auxiliary "
        "classifiers trained with and without; plain vs residual nets of growing "
        "depth; gradient norms per layer; highway gates; dense connectivity",
        modules=(
            "course.arithmetic.macs",
            "course.arithmetic.parameters",
            "course.data.cifar10_binary",
            "course.layers",
            "course.losses",
            "course.models.densenets",
            "course.models.highway",
            "course.models.inception",
            "course.models.perceptrons",
            "course.models.resnets",
            "course.plots.gradients",
            "course.plots.images",
            "course.tensorboard.callbacks",
            "course.tensorboard.hparams",
            "course.training.gradients",
            "course.training.runs",
            "course.training.state",
        ),
    ),
    Lecture(
        "07_augmentation_and_transfer_learning",
        "Augmentation and transfer learning",
        "every augmentation on a real photo; the overfitting gap with and without "
        "augmentation; scratch vs feature extractor vs fine-tuning by training-set "
        "size; the similar/different x small/large table measured",
        modules=(
            "course.arithmetic.parameters",
            "course.augment.pipelines",
            "course.augment.viewing",
            "course.data.mnist_digits",
            "course.data.sample_images",
            "course.data.splits",
            "course.models.vggs",
            "course.plots.curves",
            "course.tensorboard.hparams",
            "course.training.runs",
            "course.transfer.experiments",
            "course.transfer.recipe",
        ),
    ),
    Lecture(
        "08_autoencoders_and_denoising",
        "Autoencoders and denoising",
        "codes of 2 and 16 numbers for MNIST, reconstructions and the code space; "
        "denoising synthetic nuclei against the best Gaussian filter by PSNR, SSIM, "
        "CNR and SNR; clean targets from averaged frames",
        modules=(
            "course.data.mnist_digits",
            "course.data.nuclei_dsb2018",
            "course.data.nuclei_synthetic",
            "course.metrics",
            "course.models.autoencoders",
            "course.plots.curves",
            "course.plots.images",
            "course.tensorboard.callbacks",
            "course.tensorboard.hparams",
            "course.tensorboard.projector",
            "course.training.runs",
        ),
    ),
    Lecture(
        "09_unet_segmentation",
        "U-Net segmentation",
        "the paper's 572 -> 388 U-Net; patch classifier vs plain FCN vs U-Net on "
        "synthetic nuclei (IoU, time per image); separating lines and the weight map "
        "for touching nuclei; instances from predictions; log-dice loss vs "
        "cross-entropy; UNet++ beside the U-Net",
        modules=(
            "course.data.nuclei_dsb2018",
            "course.losses",
            "course.metrics",
            "course.models.unets",
            "course.plots.images",
            "course.segmentation",
            "course.tensorboard.callbacks",
            "course.tensorboard.hparams",
            "course.training.runs",
        ),
    ),
    Lecture(
        "10_atrous_convolutions",
        "Atrous convolutions vs U-Net",
        "dilated kernels and the context module's receptive field (3, 5, 9, ..., "
        "67); plain FCN vs atrous vs U-Net with equal weights on nuclei, as the "
        "seed's autoencoders (the U-Net's copy shortcut shown) and on clean and "
        "Noise2Noise targets: error on foci and borders, activation memory, time "
        "per epoch, largest batch and image; gradient dilution in the U-Net's "
        "middle layers",
        modules=(
            "course.arithmetic.macs",
            "course.arithmetic.memory",
            "course.arithmetic.receptive_fields",
            "course.arithmetic.sizes",
            "course.data.nuclei_dsb2018",
            "course.data.nuclei_synthetic",
            "course.models.atrous",
            "course.plots.convolution",
            "course.plots.curves",
            "course.plots.gradients",
            "course.tensorboard.callbacks",
            "course.tensorboard.hparams",
            "course.training.gradients",
            "course.training.runs",
            "course.training.state",
        ),
    ),
    Lecture(
        "11_saliency_maps",
        "Saliency maps",
        "vanilla, SmoothGrad, guided, rectified, Grad-CAM(++), Score-CAM side by "
        "side on LeNet-5 and a small CNN; per-class maps; model- and "
        "label-randomisation sanity checks with verdicts; Grad-CAM on the wrong layer",
        modules=(
            "course.data.mnist_digits",
            "course.data.sample_images",
            "course.data.small_sets",
            "course.models.lenet",
            "course.models.vggs",
            "course.plots.images",
            "course.plots.saliency",
            "course.saliency.base",
            "course.saliency.maps",
            "course.saliency.sanity",
            "course.saliency.surgery",
            "course.saliency.tensorboard",
            "course.training.runs",
        ),
    ),
    Lecture(
        "12_scaling_up",
        "Scaling up",
        "the TensorBoard profiler on a training step; tf.data (cache, parallel "
        "augmentation, prefetch) vs naive NumPy batches; mixed precision and XLA "
        "measured on ResNet-18 (on for GPUs, off for CPUs); training FLOP/s against "
        "the matmul peak; MirroredStrategy on several GPUs and JAX data parallelism "
        "across machines, live on two logical CPU devices",
        modules=(
            "course.arithmetic.macs",
            "course.bench.benchmarks",
            "course.bench.measure",
            "course.bench.meter",
            "course.bench.report",
            "course.data.mnist_digits",
            "course.models.lenet",
            "course.models.resnets",
            "course.pipeline",
            "course.training.runs",
        ),
    ),
    Lecture(
        "13_limitations_and_tuning",
        "Limits of deep learning, and tuning",
        "a scanner's mark that gives the label away: the net learns it (saliency on "
        "the mark, accuracy without it); the spread between seeds and the cost of "
        "determinism; the learning curve; domain shift to another scanner and "
        "fine-tuning with few labels; a KerasTuner search and the learning-rate range "
        "test; Monte Carlo dropout as a confidence score",
        modules=(
            "course.data.mnist_digits",
            "course.data.shortcuts",
            "course.data.small_sets",
            "course.data.splits",
            "course.models.vggs",
            "course.plots.curves",
            "course.plots.images",
            "course.plots.saliency",
            "course.saliency.maps",
            "course.saliency.sanity",
            "course.training.determinism",
            "course.training.runs",
            "course.training.state",
            "course.training.tuning",
            "course.transfer.experiments",
            "course.transfer.recipe",
            "course.uncertainty",
        ),
    ),
)
