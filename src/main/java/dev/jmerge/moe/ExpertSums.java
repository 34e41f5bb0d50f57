package dev.jmerge.moe;

import dev.jmerge.config.MoeConfig;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.report.TensorKind;
import dev.jmerge.report.TensorNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The report's sums over the routed experts' MLP task vectors, taken while the build copies the experts: per layer
 * and MLP tensor of the base one {@link Group}, which the build copies as one job, every expert's piece of that
 * tensor a tile at a time side by side, so that each tile is summed while its bytes are in cache. An expert whose
 * model lacks one of the layer's MLP tensors (or has it in another shape) is left out of the layer.
 */
final class ExpertSums {

    /**
     * One MLP tensor of one layer and the Gram matrix of the task vectors over it.
     *
     * @param models  the distinct models whose tensor is read, the base last (once, also when it is an expert)
     * @param slotOf  per expert taking part in the layer, the index of its model in {@code models}: an expert that
     *                is the base has a task vector of zeros, and experts of one model share theirs
     * @param gram    row-major, of the task vectors of {@code models} other than the base (each distinct vector
     *                once), summed by the job that copies the group
     */
    record Group(String tensor, int layer, long numel, List<LoadedModel> models, int[] slotOf, double[] gram) {

        int baseSlot() { return models.size() - 1; }

        /** The index of {@code m} in {@link #models}, or -1. */
        int slot(LoadedModel m) {
            for (int s = 0; s < models.size(); s++) if (models.get(s).ref().equals(m.ref())) return s;
            return -1;
        }
    }

    private final List<List<Integer>> experts = new ArrayList<>();
    private final Map<String, Group> groups = new LinkedHashMap<>();

    /** Groups of {@code plan}'s layers, in layer order and, within a layer, by tensor name. */
    ExpertSums(MoePlan plan) {
        LoadedModel base = plan.base();
        List<LoadedModel> models = new ArrayList<>();
        for (MoeConfig.Expert e : plan.config().experts()) models.add(model(plan, e));
        for (int layer = 0; layer < plan.layers(); layer++) {
            TreeSet<String> names = new TreeSet<>();
            for (String n : base.weights().names()) {
                if (Integer.valueOf(layer).equals(TensorNames.layer(n)) && TensorKind.of(n) == TensorKind.MLP) {
                    names.add(n);
                }
            }
            List<Integer> in = new ArrayList<>();
            List<LoadedModel> read = new ArrayList<>();
            for (int e = 0; e < models.size() && !names.isEmpty(); e++) {
                LoadedModel m = models.get(e);
                boolean all = true;
                for (String n : names) all &= m.weights().has(n) && m.info(n).shape().equals(base.info(n).shape());
                if (!all) continue;
                in.add(e);
                if (!m.ref().equals(base.ref()) && read.stream().noneMatch(r -> r.ref().equals(m.ref()))) read.add(m);
            }
            read.add(base);
            experts.add(List.copyOf(in));
            for (String n : in.isEmpty() ? List.<String>of() : names) {
                int[] slotOf = new int[in.size()];
                for (int a = 0; a < in.size(); a++) {
                    LoadedModel m = models.get(in.get(a));
                    for (int s = 0; s < read.size(); s++) if (read.get(s).ref().equals(m.ref())) slotOf[a] = s;
                }
                groups.put(n, new Group(n, layer, base.info(n).numel(), List.copyOf(read), slotOf,
                        new double[(read.size() - 1) * (read.size() - 1)]));
            }
        }
    }

    List<Group> groups() { return List.copyOf(groups.values()); }

    /** The group whose job copies {@code piece} (one of the group's models' tensor), or null. */
    Group groupOf(MoeTensor.Piece piece) {
        Group g = groups.get(piece.tensor());
        return g != null && g.slot(piece.model()) >= 0 ? g : null;
    }

    /** The experts (indices in the config) taking part in {@code layer}. */
    List<Integer> experts(int layer) { return experts.get(layer); }

    /** The Gram matrix of {@code layer}'s task vectors over {@link #experts(int)}: its groups' sums, by name. */
    double[][] gram(int layer) {
        int v = experts.get(layer).size();
        double[][] g = new double[v][v];
        for (Group group : groups.values()) {
            if (group.layer() != layer) continue;
            int k = group.baseSlot();
            for (int a = 0; a < v; a++) {
                for (int b = a; b < v; b++) {
                    int sa = group.slotOf()[a], sb = group.slotOf()[b];
                    if (sa == k || sb == k) continue;
                    g[a][b] += group.gram()[Math.min(sa, sb) * k + Math.max(sa, sb)];
                }
            }
        }
        for (int a = 0; a < v; a++) for (int b = 0; b < a; b++) g[a][b] = g[b][a];
        return g;
    }

    static LoadedModel model(MoePlan plan, MoeConfig.Expert e) {
        for (LoadedModel m : plan.models()) if (m.ref().equals(e.sourceModel())) return m;
        throw new IllegalStateException("expert model " + e.sourceModel() + " was not planned");
    }
}
