package dev.jmerge.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * Columns of the terminal the progress line is drawn on: {@code COLUMNS} when set, else what the terminal on
 * stderr says ({@code ioctl TIOCGWINSZ}, asked at every redraw so a resized window is followed), else 80.
 */
final class TerminalWidth {

    private static final long TIOCGWINSZ = 0x5413; // Linux, all architectures the JDK supports there
    private static final int STDERR = 2;
    private static final MethodHandle IOCTL = lookup();

    private TerminalWidth() {}

    static IntSupplier supplier(Map<String, String> env) {
        String columns = env.get("COLUMNS");
        if (columns != null) {
            try {
                int c = Integer.parseInt(columns.strip());
                if (c > 0) return () -> c;
            } catch (NumberFormatException e) {
                // not a number: ask the terminal
            }
        }
        return () -> {
            int c = ofStderr();
            return c > 0 ? c : 80;
        };
    }

    /** The columns of the terminal on file descriptor 2, or 0 when it is not a terminal or cannot be asked. */
    static int ofStderr() {
        if (IOCTL == null) return 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(8); // struct winsize: rows, columns, x pixels, y pixels (unsigned shorts)
            int rc = (int) IOCTL.invokeExact(STDERR, TIOCGWINSZ, ws);
            return rc == 0 ? Short.toUnsignedInt(ws.get(ValueLayout.JAVA_SHORT, 2)) : 0;
        } catch (Throwable e) {
            return 0;
        }
    }

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("ioctl").map(addr -> linker.downcallHandle(addr,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                            ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(2))).orElse(null);
        } catch (Throwable e) {
            return null;
        }
    }
}
