package dev.jmerge.cli;

import dev.jmerge.arch.ArchitectureRegistry;
import dev.jmerge.arch.ArchitectureSpec;
import dev.jmerge.arch.ModularArchitectureSpec;
import dev.jmerge.arch.ModuleSpec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code jmerge architectures}: the architectures jmerge has definitions for, one config.json class a line. */
@Command(name = "architectures", mixinStandardHelpOptions = true,
        customSynopsis = "jmerge architectures",
        description = {"List the supported architectures (model_type, class, layers key).",
                "Others are merged by their tensor names when all inputs have the same ones."})
final class ArchitecturesCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ArchitectureRegistry registry = ArchitectureRegistry.builtIn();
        List<String[]> rows = new ArrayList<>();
        for (ArchitectureSpec s : registry.all()) {
            for (String cls : s.architectures()) rows.add(new String[] {s.modelType(), cls, layers(s)});
        }
        rows.sort(Comparator.<String[], String>comparing(r -> r[0]).thenComparing(r -> r[1]));
        List<String[]> modular = new ArrayList<>();
        for (ModularArchitectureSpec m : registry.allModular()) {
            List<String> keys = new ArrayList<>();
            for (ModuleSpec mod : m.modules()) keys.add(mod.name() + ": " + layers(mod.body()));
            for (String cls : m.architectures()) modular.add(new String[] {m.modelType(), cls, String.join(", ", keys)});
        }
        modular.sort(Comparator.<String[], String>comparing(r -> r[0]).thenComparing(r -> r[1]));
        PrintWriter out = spec.commandLine().getOut();
        int w0 = "model_type".length(), w1 = "class".length();
        for (List<String[]> list : List.of(rows, modular)) {
            for (String[] r : list) {
                w0 = Math.max(w0, r[0].length());
                w1 = Math.max(w1, r[1].length());
            }
        }
        String format = "%-" + w0 + "s  %-" + w1 + "s  %s%n";
        out.printf(format, "model_type", "class", "layers key");
        for (String[] r : rows) out.printf(format, (Object[]) r);
        out.printf("%nmulti-module (merged module by module):%n");
        for (String[] r : modular) out.printf(format, (Object[]) r);
        out.printf("%n%d classes in %d definitions, %d multi-module%n", rows.size() + modular.size(),
                registry.all().size() + registry.allModular().size(), registry.allModular().size());
        out.flush();
        return 0;
    }

    private static String layers(ArchitectureSpec s) {
        return s.numLayersKey() != null ? s.numLayersKey() : "(fixed: " + s.fixedNumLayers() + ")";
    }
}
