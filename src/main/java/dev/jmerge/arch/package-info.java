/**
 * Architecture knowledge: which tensors a model family has, which are per layer, which are vocabulary-indexed
 * or optional, and where config.json keeps the layer count (compat §3).
 *
 * <p>Definitions are data in jmerge's own format under {@code src/main/resources/dev/jmerge/arch/}
 * (described in {@link dev.jmerge.arch.SpecReader}), restating the facts of mergekit's single-module
 * definitions. {@link dev.jmerge.arch.ArchitectureResolver} picks one for a merge, falling back to
 * {@link dev.jmerge.arch.ArchitectureInference} from tensor names; {@link dev.jmerge.arch.WeightSpec#resolve} is how
 * the planner finds each tensor (or reports it missing) before any data is read. Multi-module (vision-language)
 * definitions live under {@code modular/} and are read as {@link dev.jmerge.arch.ModularArchitectureSpec}: named
 * {@link dev.jmerge.arch.ModuleSpec}s, each a single-module body plus a tensor-name prefix.
 */
package dev.jmerge.arch;
