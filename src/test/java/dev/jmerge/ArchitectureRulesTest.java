package dev.jmerge;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

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
                        "dev.jmerge.forward..", "dev.jmerge.eval..", "dev.jmerge.linalg..", "dev.jmerge.extract..")
                .check(MAIN);
    }

    @Test
    void theForwardPassReadsWeightsAndRunsKernelsOnly() {
        // It sees mapped weights (io) and the kernels; nothing of merging, configs, tokenizers or the CLI.
        noClasses().that().resideInAPackage("dev.jmerge.forward..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.jmerge.config..", "dev.jmerge.plan..", "dev.jmerge.exec..", "dev.jmerge.methods..",
                        "dev.jmerge.output..", "dev.jmerge.source..", "dev.jmerge.arch..", "dev.jmerge.tokenizer..",
                        "dev.jmerge.eval..", "dev.jmerge.synth..", "dev.jmerge.bench..", "ai.djl..")
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
                        "dev.jmerge.output..", "dev.jmerge.arch..", "dev.jmerge.io..", "ai.djl..")
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
                        "dev.jmerge.cli..", "dev.jmerge.extract..", "dev.jmerge.kernels..", "dev.jmerge.tensor..")
                .check(MAIN);
        noClasses().that().resideInAnyPackage("dev.jmerge.methods..", "dev.jmerge.exec..", "dev.jmerge.kernels..",
                        "dev.jmerge.plan..", "dev.jmerge.io..", "dev.jmerge.config..", "dev.jmerge.linalg..")
                .should().dependOnClassesThat().resideInAPackage("dev.jmerge.report..")
                .check(MAIN);
    }
}
