package dev.jmerge.methods;

/** {@code task_arithmetic}: the weighted sum of the task vectors added to the base. */
public final class TaskArithmetic extends TaskArithmeticFamily {

    public TaskArithmetic() {
        super("task_arithmetic", "Task Arithmetic", "https://arxiv.org/abs/2212.04089", null, false, false, false);
    }
}
