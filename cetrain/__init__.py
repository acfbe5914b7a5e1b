"""cetrain: logistic and softmax regression from scratch, trained on cross-entropy.

How the code is laid out (data flows cli -> runs -> data / estimators -> core; plots and teach
only read results):

    core/        the mathematics in pure NumPy: links, losses and their registry, output heads,
                 the objective, the optimiser, parameter declarations
    data/        the dataset registry, CSV reading and encoding, splits, preprocessing
    estimators/  LogisticRegression, SoftmaxRegression, MultiLabelRegression: scikit-learn's
                 face of the core
    plots/       the house style and the run's figures
    runs/        the settings table, train and compare, metrics, the notes that teach
                 (hints), the scikit-learn reference, which two features the boundary plot
                 shows, model files, trained models on raw rows, predict and evaluate, the
                 notebook figures, run folders, the HTML report of a folder
    teach/       landscape, saturation, the entropy calculator, the loss table, gradcheck
    cli/         the click commands

The estimators are loaded when first used, so that `cetrain --help` and the teaching commands
need neither scikit-learn nor matplotlib.
"""

__version__ = "0.1.0"

# public name -> the module that defines it, imported on first use
_HOMES = {
    "LogisticRegression": "cetrain.estimators",
    "MultiLabelRegression": "cetrain.estimators",
    "SoftmaxRegression": "cetrain.estimators",
    "load_model": "cetrain.runs.modelfile",
    "evaluate": "cetrain.runs.notebook",
    "plot_calibration": "cetrain.runs.notebook",
    "plot_confusion_matrix": "cetrain.runs.notebook",
    "plot_decision_boundary": "cetrain.runs.notebook",
    "plot_loss_curve": "cetrain.runs.notebook",
    "plot_roc_curve": "cetrain.runs.notebook",
}
__all__ = [*_HOMES, "__version__"]


def __getattr__(name: str):
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
