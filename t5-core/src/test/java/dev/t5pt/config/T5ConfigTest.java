package dev.t5pt.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class T5ConfigTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void originalT5SmallConfigGetsHfDefaults() throws Exception {
        // the original t5-small config.json has none of the newer fields
        String json = "{\"d_ff\": 2048, \"d_kv\": 64, \"d_model\": 512, \"decoder_start_token_id\": 0,"
                + " \"dropout_rate\": 0.1, \"eos_token_id\": 1, \"initializer_factor\": 1.0, \"is_encoder_decoder\": true,"
                + " \"layer_norm_epsilon\": 1e-06, \"model_type\": \"t5\", \"n_positions\": 512, \"num_heads\": 8,"
                + " \"num_layers\": 6, \"pad_token_id\": 0, \"relative_attention_num_buckets\": 32, \"vocab_size\": 32128}";
        T5Config c = T5Config.fromJson(JSON.readTree(json));
        assertEquals(T5Config.t5Small(), c);
        assertEquals(FeedForwardProj.RELU, c.feedForwardProj());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(6, c.numDecoderLayers());
        assertEquals(128, c.relativeAttentionMaxDistance());
    }

    @Test
    void roundTripsThroughJson() {
        T5Config c = T5Config.t5BaseLmAdapt();
        assertEquals(c, T5Config.fromJson(c.toJson()));
    }

    @Test
    void rejectsBadValuesNamingTheField() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> T5Config.fromJson(JSON.readTree("{\"d_model\": 0}")));
        assertTrue(e.getMessage().contains("d_model") && e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> T5Config.fromJson(JSON.readTree("{\"feed_forward_proj\": \"gated-silu\"}")));
        assertTrue(e.getMessage().contains("gated-silu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> T5Config.fromJson(JSON.readTree("{\"num_heads\": \"eight\"}")));
        assertTrue(e.getMessage().contains("num_heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> T5Config.fromJson(JSON.readTree("{\"vocab_size\": 10, \"eos_token_id\": 12}")));
        assertTrue(e.getMessage().contains("eos_token_id"), e.getMessage());
    }
}
