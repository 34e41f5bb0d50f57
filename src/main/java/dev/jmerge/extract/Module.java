package dev.jmerge.extract;

import dev.jmerge.arch.WeightSpec;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;

/**
 * One module of the fine-tuned model that has a weight: what mergekit's walk over the model's torch modules
 * meets, reconstructed from tensor names, shapes and the architecture definition.
 *
 * @param name     the module's name (the weight's canonical name less {@code .weight}): adapter tensors are named after it
 * @param ftWeight the weight's name in the fine-tuned checkpoint (an alias of the canonical one in some checkpoints)
 * @param weightSpec the architecture's entry for the weight (aliases and tied names to find it in the base), or
 *                 null for a tensor the architecture does not list
 * @param ftBias   the bias's name in the fine-tuned checkpoint, or null
 * @param biasSpec the architecture's entry for the bias, or null
 * @param kind     what torch module it is taken for
 * @param role     whether the model uses it as its input embedding or output head
 */
public record Module(String name, String ftWeight, WeightSpec weightSpec, String ftBias, WeightSpec biasSpec, Kind kind,
              Role role, Shape shape, DType dtype) {

    /** The torch module type the weight belongs to, as far as names and shapes tell. */
    public enum Kind {
        /** {@code nn.Linear}: a matrix {@code [out, in]}, decomposed as it is. */
        LINEAR("Linear"),
        /** {@code nn.Embedding}: a table {@code [vocab, dim]}, decomposed transposed (PEFT's lora_embedding). */
        EMBEDDING("Embedding"),
        /** transformers' {@code Conv1D} (GPT-2 family): not a type mergekit decomposes. */
        CONV1D("Conv1D"),
        /** a vector (norms): not decomposable. */
        VECTOR("norm (1-D)"),
        /** three or more dimensions (convolutions): not decomposable here. */
        TENSOR("convolution (3+ dimensions)");

        private final String label;

        Kind(String label) { this.label = label; }

        /** The torch class name it stands for. */
        public String label() { return label; }

        public boolean decomposable() { return this == LINEAR || this == EMBEDDING; }
    }

    public enum Role { INPUT_EMBEDDING, OUTPUT_EMBEDDING, NONE }

    /** The weight's canonical name. */
    public String weight() { return name + ".weight"; }

    public String bias() { return name + ".bias"; }

    /** The last component of the name: what {@code --save-module}, target_modules and modules_to_save use. */
    public String key() { return name.substring(name.lastIndexOf('.') + 1); }

    public long rows() { return shape.dim(0); }

    public long cols() { return shape.rank() > 1 ? shape.dim(1) : 1; }
}
