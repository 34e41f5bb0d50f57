package dev.jmerge.forward;

/**
 * One decoder layer's weights; {@code qNorm}/{@code kNorm} only for Qwen3, biases only where the checkpoint has
 * them. The MLP is dense ({@code mlp}) or, in a mixture of experts, {@code moe}; the other one is null.
 */
record Layer(float[] inputNorm, Linear q, Linear k, Linear v, Linear o, float[] qNorm, float[] kNorm,
             float[] postNorm, Mlp mlp, SparseMlp moe, int window) {}
