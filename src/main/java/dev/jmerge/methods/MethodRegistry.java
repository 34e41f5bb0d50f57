package dev.jmerge.methods;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every merge method jmerge knows, by its mergekit name. */
public final class MethodRegistry {

    private static final Map<String, MergeMethod> METHODS = new LinkedHashMap<>();

    static {
        for (MergeMethod m : List.of(new Linear(), new Slerp(), new NuSlerp(), new MultiSlerp(), new Karcher(),
                new Passthrough(), new ModelStock(), new ArceeFusion(), new NearSwap(), new TaskArithmetic(),
                new Ties(), new DareTies(), new DareLinear(), new Breadcrumbs(), new BreadcrumbsTies(), new Della(),
                new DellaLinear(), new Sce(), new Ram(), new RamPlusTl())) {
            METHODS.put(m.name(), m);
        }
    }

    private MethodRegistry() {}

    public static Optional<MergeMethod> find(String name) { return Optional.ofNullable(METHODS.get(name)); }

    public static List<MergeMethod> all() { return List.copyOf(METHODS.values()); }

    public static String names() { return String.join(", ", METHODS.keySet()); }
}
