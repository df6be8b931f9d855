"""The course's practice questions and exercises as item specs (bank format).

These are the exact specs the tests, the benchmark and ``graders/README.md`` use; the sample bank
(``banks/``) carries the same items. Sources: the course's lesson pages (lesson 01 "Why models
don't generate pixels directly", lesson 02 "Language generation vs media generation" and its
practice questions).
"""

from __future__ import annotations

from typing import Any

CROSS_ENTROPY: dict[str, Any] = {
    "id": "cross-entropy-loss",
    "type": "multipart",
    "title": "Cross-entropy of one token",
    "text": (
        "An LLM assigns probabilities 0.5, 0.3 and 0.2 to three possible next tokens. The "
        "correct token has probability 0.3. What is the cross-entropy loss for that token, "
        "$L = -\\log(p)$? Give it in natural-log form and as a decimal."
    ),
    "points": 2,
    "parts": [
        {
            "id": "exact",
            "label": "natural-log form",
            "type": "symbolic",
            "answer": "-ln(0.3)",
            "form": "natural_log",
            "mistakes": [
                {"answer": "-log10(0.3)", "tag": "log-base",
                 "feedback": "That is log base 10. Cross-entropy uses the natural log: ln."},
                {"answer": "ln(0.3)", "tag": "sign",
                 "feedback": "Loss is -log(p): ln(0.3) is negative, the loss is its negative."},
                {"answer": "0.3", "tag": "gave-probability",
                 "feedback": "0.3 is the probability p; the loss is -ln(p)."},
                {"answer": "-ln(0.5)", "tag": "wrong-token",
                 "feedback": "0.5 is the most likely token, not the correct one (p = 0.3)."},
                {"answer": "-ln(0.2)", "tag": "wrong-token",
                 "feedback": "0.2 belongs to another token; the correct token has p = 0.3."},
            ],
        },
        {
            "id": "decimal",
            "label": "decimal",
            "type": "numeric",
            "answer": "-ln(0.3)",
            "tolerance": {"absolute": 0.001},
            "expressions": False,  # the decimal, not the expression again
            "mistakes": [
                {"answer": "-log10(0.3)", "tag": "log-base",
                 "feedback": "0.523 is -log10(0.3); cross-entropy uses the natural log."},
                {"answer": "ln(0.3)", "tag": "sign",
                 "feedback": "The loss is -ln(p), a positive number."},
                {"answer": "0.3", "tag": "gave-probability",
                 "feedback": "0.3 is the probability p; the loss is -ln(p)."},
                {"answer": "-ln(0.5)", "tag": "wrong-token",
                 "feedback": "That is the loss for the token with p = 0.5."},
                {"answer": "-ln(0.2)", "tag": "wrong-token",
                 "feedback": "That is the loss for the token with p = 0.2."},
            ],
        },
    ],
    "dual_form": ["exact", "decimal"],
    "explanation": "L = -ln(0.3) = ln(10/3) ≈ 1.204 nats.",
}  # fmt: skip

DENOISING_TIME: dict[str, Any] = {
    "id": "denoising-time",
    "type": "multipart",
    "title": "Time to generate images",
    "text": (
        "A diffusion system uses 50 denoising steps to generate one image, and each step takes "
        "0.08 s. How long does one image take to generate, and how long would 12 images take "
        "if generated one after another?"
    ),
    "points": 2,
    "parts": [
        {
            "id": "per_image",
            "label": "one image",
            "type": "numeric",
            "answer": "50 * 0.08",
            "unit": "s",
            "tolerance": {"relative": 0.01},
            "mistakes": [
                {"answer": "0.08 s", "tag": "per-step-for-total",
                 "feedback": "0.08 s is one denoising step; one image takes 50 steps."},
                {"answer": "4 m", "tag": "unit-dimension",
                 "feedback": "m is metres, a length; for minutes write min. Is 4 minutes "
                             "right, though? Check with 50 × 0.08 s."},
            ],
        },
        {
            "id": "twelve",
            "label": "12 images",
            "type": "numeric",
            "answer": "12 * per_image",
            "unit": "s",
            "tolerance": {"relative": 0.01},
            "carry_forward": {"from": ["per_image"]},
            "mistakes": [
                {"answer": "0.96 s", "tag": "per-step-for-total",
                 "feedback": "12 × 0.08 s counts one step per image; each image takes 50 steps."},
            ],
        },
    ],
    "explanation": "One image: 50 × 0.08 s = 4 s. Twelve images: 12 × 4 s = 48 s.",
}  # fmt: skip

EXPLAIN_DIFFERENCE: dict[str, Any] = {
    "id": "explain-difference",
    "type": "free_text",
    "title": "One difference between diffusion models and LLMs",
    "text": (
        "A student says that image generation and text generation are identical because both "
        "use neural networks. Explain one important difference in how diffusion models and "
        "LLMs generate outputs."
    ),
    "min_chars": 20,
    "max_chars": 1000,
    "rubric": [
        {"id": "difference", "criterion": "Names a real difference in how outputs are generated",
         "points": 2,
         "description": "e.g. one token at a time (autoregressive) vs refining the whole image "
                        "from noise over many steps"},
        {"id": "accuracy", "criterion": "Describes both sides correctly", "points": 1},
    ],
    "model_answer": (
        "An LLM generates text autoregressively, one token at a time, each conditioned on the "
        "tokens before it; a diffusion model starts from random noise and refines the whole "
        "image (in latent space) over many denoising steps."
    ),
}  # fmt: skip

VAE_COMPRESSION: dict[str, Any] = {
    "id": "vae-compression",
    "type": "exercise",
    "title": "How much do VAEs compress?",
    "text": (
        "Look up the VAE compression of SD 1.5, SDXL and FLUX. For a 1024×1024 RGB image, "
        "compute the number of raw values, the number of latent values for each model and how "
        "many times fewer values the model works with. Then write (100 characters) what this "
        "means for inference speed."
    ),
    "models": ["text"],
    "reflection": {"max_chars": 100, "min_chars": 10,
                   "prompt": "What does the compression mean for inference speed?"},
    "parts": [
        {"id": "raw", "label": "raw values (1024×1024×3)", "type": "numeric",
         "answer": "1024*1024*3"},
        {"id": "sd15_latent", "label": "SD 1.5 latent values (f=8, 4 channels)",
         "type": "numeric", "answer": "128*128*4"},
        {"id": "sd15_ratio", "label": "SD 1.5: times fewer values", "type": "numeric",
         "answer": "raw / sd15_latent", "tolerance": {"relative": 0.01},
         "carry_forward": {"from": ["raw", "sd15_latent"]}},
        {"id": "sdxl_ratio", "label": "SDXL: times fewer values (same VAE shape)",
         "type": "numeric", "answer": "48", "tolerance": {"relative": 0.01}},
        {"id": "flux_latent", "label": "FLUX latent values (f=8, 16 channels)",
         "type": "numeric", "answer": "128*128*16",
         "mistakes": [{"answer": "65536", "tag": "channels",
                       "feedback": "That is the 4-channel latent of SD; FLUX's VAE has 16 "
                                   "channels."}]},
        {"id": "flux_ratio", "label": "FLUX: times fewer values", "type": "numeric",
         "answer": "raw / flux_latent", "tolerance": {"relative": 0.01},
         "carry_forward": {"from": ["raw", "flux_latent"]}},
    ],
    "rubric": [
        {"id": "speed", "criterion": "Links fewer latent values to faster denoising steps",
         "points": 1},
    ],
}  # fmt: skip

COMPARE_MODELS: dict[str, Any] = {
    "id": "compare-text-image-models",
    "type": "exercise",
    "title": "Same prompt, two machines",
    "text": (
        "Give the same prompt to the text model and to the image model. Compare: what does the "
        "text model do that the image model cannot, and the other way round? Write the "
        "difference you actually saw in 200 characters."
    ),
    "models": ["text", "image"],
    "prompt": {"max_chars": 500},
    "reflection": {"max_chars": 200, "min_chars": 20},
    "settings": {
        "text": {"max_new_tokens": {"default": 48, "max": 128},
                 "temperature": {"default": 0.7, "min": 0, "max": 1.5},
                 "top_p": {"default": 0.9, "min": 0.1, "max": 1}, "seed": {"default": None}},
        "image": {"steps": {"default": 10, "max": 30},
                  "guidance_scale": {"default": 5, "min": 0, "max": 12},
                  "size": {"default": 64, "choices": [64, 128]}, "seed": {"default": None}},
    },
    "rubric": [
        {"id": "observed", "criterion": "Describes a difference actually observed", "points": 2},
    ],
}  # fmt: skip

PRACTICE_ITEMS: list[dict[str, Any]] = [
    CROSS_ENTROPY,
    DENOISING_TIME,
    EXPLAIN_DIFFERENCE,
    VAE_COMPRESSION,
    COMPARE_MODELS,
]
