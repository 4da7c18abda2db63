package dev.t5pt.tune;

import dev.t5pt.config.FeedForwardProj;
import dev.t5pt.config.T5Config;
import dev.t5pt.model.T5Model;

import java.nio.file.Path;

/** Shared pieces of the prompt-tuning tests: the bundled demo model and task, a small random model. */
final class TuneTestSupport {
    private TuneTestSupport() {
    }

    static Path repo(String relative) {
        return Path.of("..").resolve(relative);
    }

    /** A small random-weight model with T5's vocabulary (fast enough for many steps in a test). */
    static T5Model smallRandomT5() {
        return T5Model.random(new T5Config(32128, 32, 8, 64, 1, 1, 4, 32, 128, 0.1, 1e-6, FeedForwardProj.GATED_GELU,
                false, 0, 1, 0), 3);
    }
}
