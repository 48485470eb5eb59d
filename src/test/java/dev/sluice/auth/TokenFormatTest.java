package dev.sluice.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class TokenFormatTest {

    @Test
    void generatedTokensHaveTheContractsShape() {
        String root = TokenFormat.generate(TokenFormat.Tier.ROOT, null);
        String service = TokenFormat.generate(TokenFormat.Tier.SERVICE, "acme-co");
        String api = TokenFormat.generate(TokenFormat.Tier.API, "acme-co");
        assertTrue(root.matches("vtr_[0-9A-Za-z]{40}"), root);
        assertTrue(service.matches("vts_acme-co_[0-9A-Za-z]{40}"), service);
        assertTrue(api.matches("vta_acme-co_[0-9A-Za-z]{40}"), api);
        assertEquals(new TokenFormat.Parsed(TokenFormat.Tier.ROOT, null), TokenFormat.parse(root));
        assertEquals(new TokenFormat.Parsed(TokenFormat.Tier.SERVICE, "acme-co"), TokenFormat.parse(service));
        assertEquals(new TokenFormat.Parsed(TokenFormat.Tier.API, "acme-co"), TokenFormat.parse(api));
    }

    @Test
    void theChecksumIsBase62Crc32OfEverythingBeforeIt() {
        // Vectors computed independently with Python's zlib.crc32 (CRC32("abc") = 0x352441c2).
        assertEquals("0yKviM", TokenFormat.checksum("abc"));
        assertEquals("1EVfIZ", TokenFormat.checksum("vts_acme_"));
        String known = "vtr_TestRootToken0000000000000000000000rWvyY";
        assertEquals(known.substring(known.length() - 6), TokenFormat.checksum(known.substring(0, known.length() - 6)));
        assertNotNull(TokenFormat.parse(known));
        assertEquals("000000", TokenFormat.checksum(""));
        assertEquals(6, TokenFormat.checksum("x").length());
    }

    @Test
    void anyMistypedCharacterIsRejectedWithoutALookup() {
        String token = TokenFormat.generate(TokenFormat.Tier.API, "acme");
        for (int i = "vta_acme_".length(); i < token.length(); i++) {
            char c = token.charAt(i);
            char typo = c == 'a' ? 'b' : 'a';
            assertNull(TokenFormat.parse(token.substring(0, i) + typo + token.substring(i + 1)), "typo at " + i);
        }
        assertNull(TokenFormat.parse(token.replace("vta_acme_", "vta_acmf_")));
        assertNull(TokenFormat.parse(token.replace("vta_", "vts_")));
        assertNull(TokenFormat.parse(token + "0"));
        assertNull(TokenFormat.parse(token.substring(1)));
        assertNull(TokenFormat.parse(null));
        assertNull(TokenFormat.parse("vtr_acme_" + token.substring(9)));
        assertNull(TokenFormat.parse("vta_" + token.substring(9)));
    }

    @Test
    void secretsAreRandomAndCarryOver200Bits() {
        assertTrue(TokenFormat.RANDOM_CHARS * Math.log(62) / Math.log(2) >= 200);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(seen.add(TokenFormat.generate(TokenFormat.Tier.ROOT, null)));
        }
    }

    @Test
    void hashIsHexSha256AndLast4IsTheTail() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TokenFormat.sha256("abc"));
        assertEquals("wxyz", TokenFormat.last4("abcdwxyz"));
    }

    @Test
    void theReadmeCommandRunsTheFileOnItsOwn() throws Exception {
        Process generator = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "src/main/java/dev/sluice/auth/TokenFormat.java").redirectErrorStream(true).start();
        String out = new String(generator.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, generator.waitFor(), out);
        assertEquals(TokenFormat.Tier.ROOT, TokenFormat.parse(out).tier());
    }

    @Test
    void theReadmeGeneratorPrintsAValidRootToken() {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            TokenFormat.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        TokenFormat.Parsed parsed = TokenFormat.parse(out.toString(StandardCharsets.UTF_8).trim());
        assertEquals(TokenFormat.Tier.ROOT, parsed.tier());
    }
}
