// Panel 4: the two scaling conventions. Inverted dropout (this library, PyTorch, Keras) scales the
// survivors by 1/(1 − p) while training and does nothing at test time; the original formulation
// (Srivastava et al., 2014) keeps the survivors as they are and multiplies by 1 − p at test time.
// A network trained one way is the other way's network with every weight matrix after a dropout
// layer divided by 1 − p, so the panel takes the trained dropout model from panel 2, converts it,
// and evaluates the test set both ways (and once more with the test-time scaling forgotten).
import { dropout } from 'webgpu-dropout/tfjs';
import { type Lab } from './lab.js';
import { tf, type tfl } from './model.js';
import { $, errorText, latest, percent } from './ui.js';

interface Step {
  kind: 'dropout' | 'dense';
  rate: number;
  kernel?: tf.Tensor2D;
  bias?: tf.Tensor1D;
  activation?: string;
}

/** The model as a list of steps (dropout rates, dense weights): enough to re-run it by hand. */
function steps(model: tfl.Sequential): Step[] {
  return model.layers.map((layer) => {
    const config = layer.getConfig();
    if (layer.getClassName() === 'Dense') {
      const [kernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor1D];
      return { kind: 'dense', rate: 0, kernel, bias, activation: String(config['activation']) };
    }
    return { kind: 'dropout', rate: Number(config['rate']) };
  });
}

/**
 * Forward pass by hand. `convention`: 'inverted' (test time: identity), 'original' (weights after
 * a dropout layer are W / (1 − p), activations × (1 − p) at test time), 'forgot' (the original
 * network without the test-time scaling). `mask` (training step): apply dropout with that key.
 */
function forward(layers: Step[], x: tf.Tensor2D, convention: 'inverted' | 'original' | 'forgot', mask?: { seed: number; offset: number }): tf.Tensor2D {
  return tf.tidy(() => {
    let a: tf.Tensor2D = x;
    let q = 0;
    layers.forEach((step, i) => {
      if (step.kind === 'dropout') {
        q = step.rate;
        if (mask) {
          // The same mask both ways: inverted keeps m·a/(1 − p), the original keeps m·a.
          const inverted = dropout(a, q, { seed: mask.seed, offset: mask.offset + i }) as tf.Tensor2D;
          a = convention === 'inverted' ? inverted : tf.mul(inverted, 1 - q);
        } else if (convention === 'original') {
          a = tf.mul(a, 1 - q);
        }
        return;
      }
      const kernel = convention === 'inverted' ? step.kernel! : tf.div(step.kernel!, 1 - q);
      q = 0;
      const z = tf.add(tf.matMul(a, kernel), step.bias!) as tf.Tensor2D;
      a = step.activation === 'softmax' ? tf.softmax(z) : step.activation === 'relu' ? tf.relu(z) : z;
    });
    return a;
  });
}

export function setupScalingPanel(lab: Lab): { refresh(): Promise<void> } {
  const body = $('sc-body');
  const caption = $('sc-summary');

  async function refresh(): Promise<void> {
    const layers = steps(lab.dropout);
    const x = lab.test.x;
    const probs = {
      inverted: forward(layers, x, 'inverted'),
      original: forward(layers, x, 'original'),
      forgot: forward(layers, x, 'forgot'),
    };
    const library = lab.dropout.predict(x, { batchSize: 500 }) as tf.Tensor2D;
    // One training step's forward pass, on 100 test images, with the same mask both ways.
    const batch = tf.slice(x, [0, 0], [100, -1]) as tf.Tensor2D;
    const trainStep = { inverted: forward(layers, batch, 'inverted', { seed: 77, offset: 0 }), original: forward(layers, batch, 'original', { seed: 77, offset: 0 }) };
    const read = async (t: tf.Tensor2D): Promise<Float32Array> => (await t.data()) as Float32Array;
    const [inv, orig, forgot, lib, stepInv, stepOrig] = await Promise.all([probs.inverted, probs.original, probs.forgot, library, trainStep.inverted, trainStep.original].map(read)) as Float32Array[];
    tf.dispose([probs.inverted, probs.original, probs.forgot, library, batch, trainStep.inverted, trainStep.original]);

    const n = lab.test.count;
    const top = (p: Float32Array, i: number): number => {
      let best = 0;
      for (let c = 1; c < 10; c++) if (p[i * 10 + c]! > p[i * 10 + best]!) best = c;
      return best;
    };
    const score = (p: Float32Array): { accuracy: number; confidence: number; agree: number; diff: number } => {
      let right = 0;
      let confidence = 0;
      let agree = 0;
      let diff = 0;
      for (let i = 0; i < n; i++) {
        const t = top(p, i);
        if (t === lab.test.labels[i]) right++;
        if (t === top(inv!, i)) agree++;
        confidence += p[i * 10 + t]!;
      }
      for (let k = 0; k < p.length; k++) diff = Math.max(diff, Math.abs(p[k]! - inv![k]!));
      return { accuracy: right / n, confidence: confidence / n, agree, diff };
    };
    const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k]!)), 0);
    const rows = [
      { name: 'inverted (this library): identity at test time', s: score(inv!) },
      { name: 'original: weights ÷ (1 − p), activations × (1 − p) at test time', s: score(orig!) },
      { name: 'original, test-time scaling forgotten', s: score(forgot!) },
    ];
    const libraryDiff = maxDiff(lib!, inv!);
    body.innerHTML = rows.map(({ name, s }, i) => `<tr class="${i === 2 ? 'wrong' : ''}"><th>${name}</th><td>${percent(s.accuracy)}</td><td>${percent(s.confidence)}</td>
      <td>${s.agree.toLocaleString('en-US')} / ${n.toLocaleString('en-US')}</td><td>${i === 0 ? '—' : s.diff.toExponential(1)}</td></tr>`).join('');
    const stepDiff = maxDiff(stepInv!, stepOrig!);
    const [o, f] = [rows[1]!.s, rows[2]!.s];
    caption.textContent = `The dropout model from panel 2 (${lab.epochs ? `after ${lab.epochs} epoch${lab.epochs > 1 ? 's' : ''}` : 'initial weights: train it to see trained numbers'}), on ${n.toLocaleString('en-US')} test images. `
      + `Both conventions give the same predictions on ${o.agree} of ${n} images, probabilities within ${o.diff.toExponential(1)} (float rounding); a training step with the same mask gives outputs within ${stepDiff.toExponential(1)} both ways, so they are one network written two ways. `
      + `Forgetting the test-time factor leaves the input of every layer after a dropout layer too large (× 1/(1 − p): ${[...new Set(layers.filter((l) => l.kind === 'dropout' && l.rate > 0).map((l) => (1 / (1 - l.rate)).toFixed(2)))].join(' and ')}): ${f.agree} of ${n} predictions unchanged, accuracy ${percent(f.accuracy)}, mean confidence ${percent(f.confidence)}. `
      + `(Hand-written inverted pass vs the layer's own predict(): within ${libraryDiff.toExponential(1)}.)`;
    document.body.dataset.scalingDone = String(Number(document.body.dataset.scalingDone ?? 0) + 1);
  }

  const runner = latest(refresh, (error) => {
    console.error(error);
    caption.textContent = `Evaluation failed: ${errorText(error)}`;
  });
  $('sc-run').addEventListener('click', () => void runner.request());
  lab.listeners.add(() => { if (!lab.training) void runner.request(); });
  return { refresh: () => runner.request() };
}
