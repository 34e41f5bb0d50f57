package dev.jmerge.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Takes back the real stderr from the {@code ./jmerge} launcher. The JVM prints
 * {@code WARNING: Using incubator modules: jdk.incubator.vector} while it starts, before any of our code runs,
 * and no option turns that off; so the launcher starts it with stderr on a filter that drops that line and
 * passes on anything else (a JVM that fails to start still explains why), and hands the real stderr over as
 * the descriptor named by {@code -Djmerge.stderr.fd}. Here that descriptor is moved onto 2 ({@code dup2}), so
 * from the first line of {@code main} everything, progress redraws included, goes straight to the terminal;
 * the filter sees its input end and exits.
 */
final class StderrRestore {

    private StderrRestore() {}

    static void apply() {
        String fd = System.getProperty("jmerge.stderr.fd");
        if (fd == null) return;
        try {
            int from = Integer.parseInt(fd);
            Linker linker = Linker.nativeLinker();
            MethodHandle dup2 = linker.downcallHandle(linker.defaultLookup().find("dup2").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            System.err.flush();
            if ((int) dup2.invokeExact(from, 2) == 2) {
                int ignored = (int) close.invokeExact(from);
            }
        } catch (Throwable e) {
            // stderr stays on the launcher's filter: lines still arrive, a progress redraw may lag
        }
    }
}
