package dev.jmerge.config;

import static dev.jmerge.config.ConfigLoaderTestSupport.lines;
import static dev.jmerge.config.ConfigLoaderTestSupport.one;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Parameter scalars read as PyYAML (YAML 1.1) + mergekit's coercion to float would read them. */
class PyYamlScalarsTest {

    private static double parameter(String yamlValue) {
        Parameters p = one(lines("merge_method: linear", "models: [{model: a}]", "parameters:",
                "  x: " + yamlValue)).parameters();
        return ((ParameterValue.Scalar) p.get("x").value()).value();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1e-8|1.0E-8", // PyYAML: a string (no dot); pydantic then reads it as a float
            "1.0e-8|1.0E-8", "1.5E+3|1500", ".15|0.15", "-.5|-0.5", "+.5|0.5", "1.0|1.0", "1.|1.0", "3|3", "-7|-7",
            "0|0", "1_000|1000", "1_000.5|1000.5", "0x1F|31", "0b101|5", "010|8",
            "1:30|90", "'0.25'|0.25", "\"1e3\"|1000",
            "yes|1", "Yes|1", "YES|1", "on|1", "On|1", "ON|1", "true|1", "True|1", "TRUE|1",
            "no|0", "No|0", "NO|0", "off|0", "Off|0", "OFF|0", "false|0", "False|0", "FALSE|0",
            "!!float 2|2", "!!int '12'|12", "!!bool yes|1"})
    void numbersAndBooleans(String yaml, double expected) {
        assertThat(parameter(yaml)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {".inf", ".Inf", ".INF", "+.inf"})
    void positiveInfinity(String yaml) {
        assertThat(parameter(yaml)).isEqualTo(Double.POSITIVE_INFINITY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-.inf", "-.INF"})
    void negativeInfinity(String yaml) {
        assertThat(parameter(yaml)).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @ParameterizedTest
    @ValueSource(strings = {".nan", ".NaN", ".NAN"})
    void notANumber(String yaml) {
        assertThat(parameter(yaml)).isNaN();
    }

    /** Words PyYAML keeps as strings (no y/n booleans, no 0o octal in YAML 1.1) that float() cannot read. */
    @ParameterizedTest
    @ValueSource(strings = {"y", "n", "abc", "0o10", "'yes'", "\"true\"", "1e", "0x", "1.2.3", "--1"})
    void nonNumericStringsAreRefused(String yaml) {
        assertThatThrownBy(() -> parameter(yaml))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config.yml line 4: 'parameters.x' must be a number");
    }

    @ParameterizedTest
    @ValueSource(strings = {"~", "null", "Null", "NULL", ""})
    void nullsAreNullForOptionalKeys(String yaml) {
        MergeConfig c = one(lines("merge_method: linear", "models: [{model: a}]", "base_model: " + yaml,
                "dtype: " + yaml));
        assertThat(c.baseModel()).isNull();
        assertThat(c.dtype()).isNull();
    }

    @ParameterizedTest
    @CsvSource({"'[0, 3]',0,3", "'[0x0, 0x10]',0,16", "'[0, 3.0]',0,3", "'[010, 011]',8,9", "'[0, 1_0]',0,10"})
    void layerRangeIntegers(String yaml, int start, int end) {
        MergeConfig c = one(lines("merge_method: passthrough", "slices:", "  - sources:",
                "      - {model: a, layer_range: " + yaml + "}"));
        LayerRange r = c.slices().getFirst().sources().getFirst().layerRange();
        assertThat(r.start()).isEqualTo(start);
        assertThat(r.end()).isEqualTo(end);
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "123", "1.5", "~", "true"})
    void stringKeysRefuseOtherScalarTypes(String yaml) {
        assertThatThrownBy(() -> one(lines("merge_method: " + yaml, "models: [{model: a}]")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config.yml line 1: 'merge_method'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"'yes'", "\"123\"", "!!str 1.5"})
    void quotedOrTaggedScalarsAreStrings(String yaml) {
        String text = one(lines("merge_method: linear", "models: [{model: a}]", "name: " + yaml)).name();
        assertThat(text).isEqualTo(yaml.replaceAll("^!!str |['\"]", ""));
    }
}
