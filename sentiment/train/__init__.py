"""Training and evaluation tooling for the sentiment and persona models.

``python -m sentiment.train`` trains the committed head and n-gram model
(:mod:`sentiment.train.heads`), ``--finetune`` the LoRA adapter
(:mod:`sentiment.train.finetune`); the labeled data (:mod:`~sentiment.train.datasets`), its
fixed splits (:mod:`~sentiment.train.splits`), the held-out evaluations behind
``mentionwatch eval`` and the corrections refit behind ``mentionwatch model refit`` live here
too. Scoring never imports this package (``tests/test_tooling.py`` checks), so its
dependencies (scikit-learn, opencc, peft: the ``train`` extra) stay out of the runtime.
"""
