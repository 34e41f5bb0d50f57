package dev.jmerge.config;

import dev.jmerge.error.ConfigException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.events.DocumentStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.Parser;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Turns config text into YAML node trees (one per document), with the limits that keep a hostile or broken file
 * from exhausting memory: size, strict UTF-8, alias count, nesting depth and the node count after aliases expand.
 */
final class YamlDocuments {

    static final int MAX_BYTES = 10 * 1024 * 1024;
    static final int MAX_ALIASES = 50;
    static final int MAX_DEPTH = 100;
    static final int MAX_NODES = 1_000_000;

    /** One document: its root node and its own text, verbatim. */
    record Document(Node root, String text) {}

    private YamlDocuments() {}

    static String readUtf8(Path file) {
        String name = file.toString();
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new ConfigException(name + ": config file is " + size + " bytes, more than the limit of "
                        + MAX_BYTES + " (10 MB)");
            }
            return decodeUtf8(Files.readAllBytes(file), name);
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot read config file: " + e.getMessage(), e);
        }
    }

    static String decodeUtf8(byte[] bytes, String fileName) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            throw new ConfigException(fileName + ": config file is not UTF-8 at byte " + in.position());
        }
        decoder.flush(out);
        String text = out.flip().toString();
        // PyYAML drops a byte-order mark; so must we, or it becomes part of the first key
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    static List<Document> compose(String text, String fileName) {
        if (text.length() > MAX_BYTES) {
            throw new ConfigException(fileName + ": config text is longer than the limit of " + MAX_BYTES
                    + " characters (10 MB)");
        }
        LoadSettings settings = LoadSettings.builder()
                .setLabel(fileName)
                .setSchema(new CoreSchema())
                .setAllowDuplicateKeys(false)
                .setAllowRecursiveKeys(false)
                .setMaxAliasesForCollections(MAX_ALIASES)
                .setCodePointLimit(MAX_BYTES)
                .setUseMarks(true)
                .build();
        DocumentBoundaries parser =
                new DocumentBoundaries(new ParserImpl(settings, new StreamReader(settings, text)), fileName);
        Composer composer = new Composer(settings, parser);
        List<Document> docs = new ArrayList<>();
        List<int[]> spans = new ArrayList<>();
        try {
            while (composer.hasNext()) {
                Node root = composer.next();
                countNodes(root, fileName);
                if (isEmptyDocument(root)) continue;
                docs.add(new Document(root, null));
                spans.add(new int[] {parser.docStart, parser.docEnd});
            }
        } catch (MarkedYamlEngineException e) {
            throw new ConfigException(describe(e, fileName), e);
        } catch (YamlEngineException e) {
            // unmarked errors (alias limit, code point limit) come while reading the last event seen
            String where = parser.lastLine > 0 ? fileName + " line " + parser.lastLine : fileName;
            String problem = e.getMessage();
            if (problem != null && problem.contains("aliases")) {
                throw new ConfigException(where + ": too many aliases (alias expansion?): " + oneLine(problem), e);
            }
            throw new ConfigException(where + ": invalid YAML: " + oneLine(problem), e);
        }
        if (docs.isEmpty()) throw new ConfigException(fileName + ": config is empty");
        if (docs.size() == 1) return List.of(new Document(docs.getFirst().root(), text));
        List<Document> sliced = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            sliced.add(new Document(docs.get(i).root(), sliceText(text, spans.get(i))));
        }
        return Collections.unmodifiableList(sliced);
    }

    private static String sliceText(String text, int[] codePointSpan) {
        int from = text.offsetByCodePoints(0, codePointSpan[0]);
        int to = text.offsetByCodePoints(0, codePointSpan[1]);
        String s = text.substring(from, to);
        // the slice starts right after a "---" marker; its own line break is not part of the document
        if (s.startsWith("\r\n")) return s.substring(2);
        if (s.startsWith("\n")) return s.substring(1);
        return s;
    }

    private static boolean isEmptyDocument(Node root) {
        return root instanceof ScalarNode s && s.isPlain() && s.getValue().isEmpty();
    }

    private static String describe(MarkedYamlEngineException e, String fileName) {
        Optional<Mark> mark = e.getProblemMark().or(e::getContextMark);
        String where = mark.map(m -> fileName + " line " + (m.getLine() + 1)).orElse(fileName);
        String problem = e.getProblem() == null ? e.getMessage() : e.getProblem();
        if (problem.contains("aliases")) {
            return where + ": too many aliases (alias expansion?): " + oneLine(problem);
        }
        return where + ": invalid YAML: " + oneLine(problem.strip());
    }

    /** The parser quotes the offending character, which may be a line break: messages must stay one line. */
    private static String oneLine(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        return b.toString();
    }

    /**
     * Aliases let a small file describe a huge tree (the "billion laughs"); walking it is what explodes, so
     * count every visit, shared nodes each time they are reached, and stop at the cap.
     */
    private static void countNodes(Node root, String fileName) {
        ArrayDeque<Node> stack = new ArrayDeque<>();
        stack.push(root);
        long count = 0;
        Set<Node> recursive = Collections.newSetFromMap(new IdentityHashMap<>());
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            if (++count > MAX_NODES) {
                throw new ConfigException(fileName + line(n) + ": too many nodes (alias expansion?): more than "
                        + MAX_NODES);
            }
            if (n.isRecursive() && !recursive.add(n)) {
                throw new ConfigException(fileName + line(n) + ": recursive alias: a node contains itself");
            }
            switch (n) {
                case SequenceNode seq -> seq.getValue().forEach(stack::push);
                case MappingNode map -> {
                    for (NodeTuple t : map.getValue()) {
                        stack.push(t.getKeyNode());
                        stack.push(t.getValueNode());
                    }
                }
                default -> { }
            }
        }
    }

    private static String line(Node n) {
        return n.getStartMark().map(m -> " line " + (m.getLine() + 1)).orElse("");
    }

    /**
     * Passes parser events to the composer, remembering where each document starts and ends (code-point
     * offsets) and refusing nesting deep enough to overflow the composer's recursion.
     */
    private static final class DocumentBoundaries implements Parser {
        private final Parser delegate;
        private final String fileName;
        private int depth;
        int docStart;
        int docEnd;
        int lastLine;

        DocumentBoundaries(Parser delegate, String fileName) {
            this.delegate = delegate;
            this.fileName = fileName;
        }

        @Override
        public boolean checkEvent(Event.ID id) { return delegate.checkEvent(id); }

        @Override
        public Event peekEvent() { return delegate.peekEvent(); }

        @Override
        public boolean hasNext() { return delegate.hasNext(); }

        @Override
        public Event next() {
            Event e = delegate.next();
            e.getStartMark().ifPresent(m -> lastLine = m.getLine() + 1);
            switch (e.getEventId()) {
                // an implicit start (no "---") owns everything since the previous document, comments included
                case DocumentStart -> docStart = ((DocumentStartEvent) e).isExplicit()
                        ? e.getEndMark().map(Mark::getIndex).orElse(docEnd) : docEnd;
                case DocumentEnd -> docEnd = e.getEndMark().map(Mark::getIndex).orElse(docStart);
                case SequenceStart, MappingStart -> {
                    if (++depth > MAX_DEPTH) {
                        int line = e.getStartMark().map(m -> m.getLine() + 1).orElse(0);
                        throw new ConfigException(fileName + " line " + line + ": nesting deeper than "
                                + MAX_DEPTH + " levels");
                    }
                }
                case SequenceEnd, MappingEnd -> depth--;
                default -> { }
            }
            return e;
        }
    }
}
