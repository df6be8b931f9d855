"""grade() from many threads at once (gunicorn threads, Celery threads) gives the same verdicts
as one at a time: the spec cache and the fast path share no mutable per-call state."""

import threading

from graders import grade
from graders.examples import CROSS_ENTROPY, DENOISING_TIME, VAE_COMPRESSION

CASES = [
    (DENOISING_TIME, {"per_image": "4000 ms", "twelve": "0.8 min"}),
    (DENOISING_TIME, {"per_image": "5 s", "twelve": "60 s"}),
    (DENOISING_TIME, {"per_image": "4 m", "twelve": "48 s"}),
    (CROSS_ENTROPY, {"exact": "ln(10/3)", "decimal": "1.2"}),
    (CROSS_ENTROPY, {"exact": "-log10(0.3)", "decimal": "0.523"}),
    (
        VAE_COMPRESSION,
        {
            "reflection": "Faster steps.",
            "parts": {
                "raw": "3,145,728",
                "sd15_latent": "65,536",
                "sd15_ratio": "48",
                "sdxl_ratio": "48",
                "flux_latent": "65536",
                "flux_ratio": "48",
            },
        },
    ),
]


def verdict(spec, response):
    d = grade(dict(spec), response).to_dict()  # a fresh dict, as a web request loads it
    d.pop("elapsed_ms")
    return d


def test_threads_get_the_same_verdicts_as_a_single_caller():
    expected = [verdict(s, r) for s, r in CASES]
    errors = []

    def work(offset):
        try:
            for i in range(60):
                k = (i + offset) % len(CASES)
                assert verdict(*CASES[k]) == expected[k]
        except AssertionError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
