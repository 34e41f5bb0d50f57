package dev.jmerge;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Keeps the pipeline's arrows honest: what may depend on what. */
class ArchitectureRulesTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.jmerge");

    @Test
    void onlyThePanamaPackageSeesTheIncubator() {
        noClasses().that().resideOutsideOfPackage("dev.jmerge.kernels.panama..")
                .should().dependOnClassesThat().resideInAPackage("jdk.incubator.vector..")
                .check(MAIN);
    }

    @Test
    void methodsKnowNothingOfFilesOrYaml() {
        noClasses().that().resideInAPackage("dev.jmerge.methods..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.jmerge.config..", "dev.jmerge.io..", "dev.jmerge.source..", "dev.jmerge.plan..",
                        "dev.jmerge.exec..", "dev.jmerge.output..", "dev.jmerge.cli..", "java.nio.file..",
                        "org.snakeyaml..", "tools.jackson..")
                .check(MAIN);
    }

    @Test
    void nothingDependsOnTheCli() {
        noClasses().that().resideOutsideOfPackage("dev.jmerge.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.cli..")
                .check(MAIN);
    }

    @Test
    void kernelsAndTensorsStayAtTheBottom() {
        noClasses().that().resideInAnyPackage("dev.jmerge.kernels..", "dev.jmerge.tensor..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.jmerge.methods..", "dev.jmerge.config..", "dev.jmerge.plan..", "dev.jmerge.exec..",
                        "dev.jmerge.io..", "dev.jmerge.source..", "dev.jmerge.output..", "dev.jmerge.arch..",
                        "dev.jmerge.forward..", "dev.jmerge.eval..", "dev.jmerge.linalg..", "dev.jmerge.extract..",
                        "dev.jmerge.moe..")
                .check(MAIN);
    }

    @Test
    void theForwardPassReadsWeightsAndRunsKernelsOnly() {
        // It sees mapped weights (io) and the kernels; nothing of merging, configs, tokenizers or the CLI.
        noClasses().that().resideInAPackage("dev.jmerge.forward..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.jmerge.config..", "dev.jmerge.plan..", "dev.jmerge.exec..", "dev.jmerge.methods..",
                        "dev.jmerge.output..", "dev.jmerge.source..", "dev.jmerge.arch..", "dev.jmerge.tokenizer..",
                        "dev.jmerge.eval..", "dev.jmerge.synth..", "dev.jmerge.bench..", "dev.jmerge.moe..", "ai.djl..")
                .check(MAIN);
    }

    @Test
    void linearAlgebraIsPureMathOverRowSources() {
        noClasses().that().resideInAPackage("dev.jmerge.linalg..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.jmerge.config..", "dev.jmerge.io..", "dev.jmerge.source..", "dev.jmerge.plan..",
                        "dev.jmerge.exec..", "dev.jmerge.output..", "dev.jmerge.arch..", "dev.jmerge.methods..",
                        "dev.jmerge.extract..", "dev.jmerge.lora..", "java.nio.file..", "org.snakeyaml..",
                        "tools.jackson..")
                .check(MAIN);
    }

    @Test
    void evaluationKnowsNothingOfMerging() {
        noClasses().that().resideInAPackage("dev.jmerge.eval..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.jmerge.config..", "dev.jmerge.plan..", "dev.jmerge.exec..", "dev.jmerge.methods..",
                        "dev.jmerge.output..", "dev.jmerge.arch..", "dev.jmerge.io..", "dev.jmerge.moe..", "ai.djl..")
                .check(MAIN);
    }

    @Test
    void onlyTheEncodingPackageLoadsTheNativeTokenizers() {
        // The Rust tokenizers (through DJL) are the only native library besides the JDK's; merges never load it.
        noClasses().that().resideOutsideOfPackage("dev.jmerge.tokenizer.encoding..")
                .should().dependOnClassesThat().resideInAPackage("ai.djl..")
                .check(MAIN);
        noClasses().that().resideInAnyPackage("dev.jmerge.plan..", "dev.jmerge.exec..", "dev.jmerge.methods..",
                        "dev.jmerge.output..", "dev.jmerge.config..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.jmerge.tokenizer.encoding..",
                        "dev.jmerge.forward..", "dev.jmerge.eval..")
                .check(MAIN);
    }

    @Test
    void loraExtractionIsAToolBesideTheMergeNotPartOfIt() {
        // extract-lora reuses the pipeline's layers (source, arch, exec streams, output) but no merge method,
        // and only the command line and the benchmark drive it
        noClasses().that().resideInAPackage("dev.jmerge.extract..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.jmerge.methods..", "dev.jmerge.bench..")
                .check(MAIN);
        noClasses().that().resideOutsideOfPackages("dev.jmerge.extract..", "dev.jmerge.cli..", "dev.jmerge.bench..")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.extract..")
                .check(MAIN);
        noClasses().that().resideInAPackage("dev.jmerge.extract..")
                .should().dependOnClassesThat().haveSimpleName("MergeRun")
                .check(MAIN);
    }

    @Test
    void reportsRenderPlainDataAndTheMergeKnowsNothingOfThem() {
        // report.json and report.html are drawn from records of numbers and names: no pipeline type reaches them,
        // and the merge hands its numbers out through MergeStats (methods) and TensorStats (exec)
        noClasses().that().resideInAPackage("dev.jmerge.report..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.jmerge.config..", "dev.jmerge.plan..", "dev.jmerge.exec..", "dev.jmerge.methods..",
                        "dev.jmerge.io..", "dev.jmerge.source..", "dev.jmerge.output..", "dev.jmerge.arch..",
                        "dev.jmerge.cli..", "dev.jmerge.extract..", "dev.jmerge.kernels..", "dev.jmerge.tensor..",
                        "dev.jmerge.run..", "dev.jmerge.moe..", "dev.jmerge.diagnostic..")
                .check(MAIN);
        noClasses().that().resideInAnyPackage("dev.jmerge.methods..", "dev.jmerge.exec..", "dev.jmerge.kernels..",
                        "dev.jmerge.plan..", "dev.jmerge.io..", "dev.jmerge.config..", "dev.jmerge.linalg..")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.report..")
                .check(MAIN);
    }

    @Test
    void noPackagesDependOnEachOtherInACycle() {
        slices().matching("dev.jmerge.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void theWeightFormatsArePeersBeneathTheFormatNeutralLayer() {
        // io knows no format (they are found as services); a format knows io and no other format
        noClasses().that().resideInAPackage("dev.jmerge.io")
                .should().dependOnClassesThat().resideInAnyPackage("dev.jmerge.io.safetensors..", "dev.jmerge.io.pytorch..")
                .check(MAIN);
        noClasses().that().resideInAPackage("dev.jmerge.io.pytorch..")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.io.safetensors..")
                .check(MAIN);
        noClasses().that().resideInAPackage("dev.jmerge.io.safetensors..")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.io.pytorch..")
                .check(MAIN);
        noClasses().that().resideInAPackage("dev.jmerge.io..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.jmerge.plan..", "dev.jmerge.exec..",
                        "dev.jmerge.lora..", "dev.jmerge.run..", "dev.jmerge.config..", "dev.jmerge.methods..")
                .check(MAIN);
    }

    @Test
    void loraIsATensorSourceOnlyThePlannersModelSetApplies() {
        // the executor, the run and extract-lora read +lora models through io.TensorSource like any other
        noClasses().that().resideOutsideOfPackages("dev.jmerge.lora..", "dev.jmerge.plan..")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.lora..")
                .check(MAIN);
        noClasses().that().resideInAPackage("dev.jmerge.plan..").and().doNotHaveSimpleName("ModelSet")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.lora..")
                .check(MAIN);
    }

    @Test
    void aRunIsDrivenByTheCommandLineAndThePlanDecidesEverythingBeforeIt() {
        // (extract-lora and jmerge moe share the run's disk and output-path checks, not the run)
        noClasses().that().resideOutsideOfPackages("dev.jmerge.run..", "dev.jmerge.cli..", "dev.jmerge.extract..",
                        "dev.jmerge.moe..")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.run..")
                .check(MAIN);
        noClasses().that().resideInAnyPackage("dev.jmerge.plan..", "dev.jmerge.exec..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.jmerge.run..", "dev.jmerge.output..",
                        "dev.jmerge.cli..")
                .check(MAIN);
        // the executor runs the plan it is given: no configs, no adapters, no architecture decisions
        noClasses().that().resideInAPackage("dev.jmerge.exec..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.jmerge.config..", "dev.jmerge.arch..",
                        "dev.jmerge.source..")
                .check(MAIN);
    }

    @Test
    void diagnosticsAreAPlainTypeAtTheBottom() {
        classes().that().resideInAPackage("dev.jmerge.diagnostic..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("dev.jmerge.diagnostic..", "java..")
                .check(MAIN);
    }

    @Test
    void moeBuildingIsAToolBesideTheMerge() {
        // jmerge moe reuses the pipeline's layers (config, source, arch, exec streams and shard output, output
        // folder, tokenizer files), the forward pass and the tokenizer encoding for its gates, and of the merge
        // methods only their counter RNG; it runs no merge, and only the command line drives it
        noClasses().that().resideInAPackage("dev.jmerge.moe..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.jmerge.bench..", "dev.jmerge.extract..",
                        "dev.jmerge.eval..", "dev.jmerge.synth..")
                .check(MAIN);
        noClasses().that().resideInAPackage("dev.jmerge.moe..")
                .should().dependOnClassesThat(JavaClass.Predicates.resideInAPackage("dev.jmerge.methods..")
                        .and(DescribedPredicate.not(JavaClass.Predicates.resideInAPackage("dev.jmerge.methods.random.."))))
                .check(MAIN);
        noClasses().that().resideInAPackage("dev.jmerge.moe..")
                .should().dependOnClassesThat().haveSimpleName("MergeRun")
                .orShould().dependOnClassesThat().haveSimpleName("Executor")
                .check(MAIN);
        noClasses().that().resideOutsideOfPackages("dev.jmerge.moe..", "dev.jmerge.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.moe..")
                .check(MAIN);
    }
}
