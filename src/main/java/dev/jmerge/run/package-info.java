/**
 * A merge run from a finished plan to a published output folder: Hub downloads of the weights the plan reads, the
 * output guard, the executor session with its journal, resume and interrupts, the extra files, the atomic rename;
 * what a run depends on ({@link dev.jmerge.run.PlanFingerprint}) and how a recipe's intermediates are reused
 * ({@link dev.jmerge.run.MadeFrom}).
 */
package dev.jmerge.run;
