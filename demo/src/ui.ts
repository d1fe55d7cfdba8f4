// Small DOM and drawing helpers shared by the panels.

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`demo: #${id} is missing from index.html`);
  return element as T;
}

/** A two-way on/off segmented switch made of two buttons. */
export function segmented(on: HTMLButtonElement, off: HTMLButtonElement, onChange: (first: boolean) => void): { set(first: boolean): void } {
  const set = (first: boolean): void => {
    on.classList.toggle('on', first);
    off.classList.toggle('on', !first);
    on.setAttribute('aria-checked', String(first));
    off.setAttribute('aria-checked', String(!first));
  };
  on.addEventListener('click', () => { set(true); onChange(true); });
  off.addEventListener('click', () => { set(false); onChange(false); });
  return { set };
}

/**
 * Runs `work` for the latest request only: while one run is in flight, further requests are
 * coalesced into one more run after it (dragging a slider does not queue up dozens of GPU calls).
 */
export function latest(work: () => Promise<void>, onError: (error: unknown) => void): { request(): Promise<void>; idle(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  const loop = async (): Promise<void> => {
    do {
      again = false;
      try {
        await work();
      } catch (error) {
        onError(error);
      }
    } while (again);
    running = null;
  };
  return {
    request() {
      if (running) again = true;
      else running = loop();
      return running;
    },
    idle: () => running ?? Promise.resolve(),
  };
}

/** Grey ramp for [0, 1], white → amber for (1, top]: how the demo draws values that dropout scaled up. */
export function valueColor(v: number, top: number): [number, number, number] {
  if (!(v > 0)) return [0, 0, 0];
  if (v <= 1) {
    const g = Math.round(255 * v);
    return [g, g, g];
  }
  const t = top > 1 ? Math.min(1, (v - 1) / (top - 1)) : 1;
  return [Math.round(255 + (244 - 255) * t), Math.round(255 + (163 - 255) * t), Math.round(255 + (26 - 255) * t)];
}

/** Draws rows × cols values into a canvas of that many pixels. */
export function drawValues(canvas: HTMLCanvasElement, values: ArrayLike<number>, rows: number, cols: number, top = 1, offset = 0): void {
  canvas.width = cols;
  canvas.height = rows;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b] = valueColor(values[offset + i]!, top);
    image.data[4 * i] = r;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = b;
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/** Draws a packed keep mask: kept = near-white, dropped = dark slate. */
export function drawMask(canvas: HTMLCanvasElement, kept: (i: number) => boolean, rows: number, cols: number): void {
  canvas.width = cols;
  canvas.height = rows;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const on = kept(i);
    image.data.set(on ? [236, 241, 250, 255] : [38, 44, 58, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}

export const percent = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)}%`;

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Lets the browser paint (and the test harness observe) between long steps. */
export const nextFrame = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
