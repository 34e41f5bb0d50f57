package dev.jmerge.kernels;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The {@link Kernels} a merge method calls on its tiles, so that a warm-up ({@link Kernels#warmUp(Set, Set)}) gets
 * only those compiled: each Vector API kernel costs a C2 compile of tens to hundreds of milliseconds, paid by every
 * run before its first tile, which is a large share of the CPU of a merge of a small model. Conversions are not
 * listed: they follow the plan's dtypes.
 */
public enum KernelUse {
    AXPY, SCALE, SCALE_WIDE, SUB, MUL, LINCOMB, LERP, ZERO_WHERE_ABS_BELOW, COUNT_ABS_AT_LEAST, DOT, SUM_SQUARES,
    SUM_ABS, WEIGHTED_SUM_WIDE, TASK_SUM_WIDE, ELECTED_SUM_WIDE, VARIANCE_WIDE, ELECTED_MEAN_WIDE, FILL,
    STORED_MINUS, DELTA_KEYS;

    /** Every kernel: what a method that does not say, a report, or an adapter may call. */
    public static final Set<KernelUse> ALL = Collections.unmodifiableSet(EnumSet.allOf(KernelUse.class));

    /** The set of {@code uses}, for a method to return. */
    public static Set<KernelUse> of(KernelUse first, KernelUse... rest) {
        return Collections.unmodifiableSet(EnumSet.of(first, rest));
    }
}
