package dev.jmerge.output;

/**
 * Named moments of a merge where a test can freeze the process to kill it exactly there. Off unless the
 * system property {@code jmerge.test.pause} names a point ({@code NAME} or {@code NAME@N} for its N-th
 * arrival); then the process prints {@code jmerge: paused at NAME} on stderr and waits until killed, or
 * until the file named by {@code jmerge.test.continue} appears.
 */
public final class PausePoint {

    private static final String SPEC = System.getProperty("jmerge.test.pause");
    private static final java.util.Map<String, Integer> ARRIVALS = new java.util.concurrent.ConcurrentHashMap<>();

    private PausePoint() {}

    public static void reach(String name) {
        if (SPEC == null) return;
        int at = SPEC.indexOf('@');
        String wanted = at < 0 ? SPEC : SPEC.substring(0, at);
        if (!wanted.equals(name)) return;
        int n = ARRIVALS.merge(name, 1, Integer::sum);
        if (at >= 0 && n != Integer.parseInt(SPEC.substring(at + 1))) return;
        System.err.println("jmerge: paused at " + name);
        System.err.flush();
        String go = System.getProperty("jmerge.test.continue");
        while (go == null || !java.nio.file.Files.exists(java.nio.file.Path.of(go))) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                // keep waiting: only a kill or the continue file ends a pause
            }
        }
    }
}
