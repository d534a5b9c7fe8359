"""The course map: one entry per lecture notebook that exists.

The README's course map and notebook 00 show it; a test keeps the README, this
table and ``notebooks/`` in step, so a new lecture adds its row here.
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
    """

    notebook: str
    topic: str
    shows: str


LECTURES: tuple[Lecture, ...] = (
    Lecture(
        "00_start_here",
        "Start here",
        "environment and GPU report, data sources, a first run watched in TensorBoard",
    ),
    Lecture(
        "01_perceptron_and_activations",
        "Perceptron and activations",
        "AND/OR learned, XOR failed then solved by an MLP; activations and "
        "derivatives; "
        "softmax; the task/activation/loss table run as code",
    ),
    Lecture(
        "02_training_and_generalization",
        "Training and generalization",
        "splits and normalisation; underfitting, good fit, overfitting on MNIST; early "
        "stopping, dropout, L2 and batch norm compared",
    ),
    Lecture(
        "03_convolution_arithmetic",
        "Convolution arithmetic",
        "hand-set filters on a photo; (k^2 m + 1) n; 1x1 and 5x5 vs two 3x3; the "
        "guide's size relationships checked against Keras; receptive fields, "
        "equivariance, MACs",
    ),
    Lecture(
        "04_lenet",
        "LeNet-5",
        "61,706 parameters trained on MNIST; filters, feature maps, confusion matrix, "
        "misclassified digits",
    ),
    Lecture(
        "05_alexnet_and_vgg",
        "AlexNet and VGG",
        "parameters, MACs, activation memory and receptive fields next to the "
        "published figures; dense vs conv; ReLU vs tanh speed; scaled-down training",
    ),
    Lecture(
        "06_inception_resnet_densenet",
        "Inception, ResNet and DenseNet",
        "GoogLeNet and ResNet Table 1 from the models; plain vs residual nets of "
        "growing depth; gradient norms per layer; highway gates; dense connectivity",
    ),
    Lecture(
        "07_augmentation_and_transfer_learning",
        "Augmentation and transfer learning",
        "every augmentation on a real photo; the overfitting gap with and without "
        "augmentation; scratch vs feature extractor vs fine-tuning by training-set "
        "size; the similar/different x small/large table measured",
    ),
    Lecture(
        "08_autoencoders_and_denoising",
        "Autoencoders and denoising",
        "codes of 2 and 16 numbers for MNIST, reconstructions and the code space; "
        "denoising synthetic nuclei against the best Gaussian filter by PSNR, SSIM "
        "and CNR",
    ),
    Lecture(
        "09_unet_segmentation",
        "U-Net segmentation",
        "the paper's 572 -> 388 U-Net; patch classifier vs plain FCN vs U-Net on "
        "synthetic nuclei (IoU, time per image); separating lines and the weight map "
        "for touching nuclei; instances from predictions",
    ),
    Lecture(
        "10_atrous_convolutions",
        "Atrous convolutions vs U-Net",
        "dilated kernels and the context module's receptive field (3, 5, 9, ..., "
        "67); plain FCN vs atrous vs U-Net autoencoders with equal weights on "
        "nuclei: error on foci and borders, activation memory, time per epoch, "
        "largest batch and image",
    ),
    Lecture(
        "11_saliency_maps",
        "Saliency maps",
        "vanilla, SmoothGrad, guided, rectified, Grad-CAM(++), Score-CAM side by "
        "side on LeNet-5 and a small CNN; per-class maps; model- and "
        "label-randomisation sanity checks with verdicts; Grad-CAM on the wrong layer",
    ),
    Lecture(
        "12_scaling_up",
        "Scaling up",
        "the TensorBoard profiler on a training step; tf.data (cache, parallel "
        "augmentation, prefetch) vs naive NumPy batches; mixed precision and XLA "
        "measured on ResNet-18 (on for GPUs, off for CPUs); training FLOP/s against "
        "the matmul peak; MirroredStrategy on several GPUs and JAX data parallelism "
        "across machines, live on two logical CPU devices",
    ),
)
