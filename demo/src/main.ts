// The demo page: finds WebGPU (or explains how to get it), loads the Fashion-MNIST subset and
// sets up the six panels. document.body.dataset.ready is set once everything is interactive
// (the headless test in demo/test waits for it).
import './style.css';
import { loadFashionMnist } from './data.js';
import { requestGpu, type Gpu } from './gpu.js';
import { setupHistPanel } from './hist-panel.js';
import { createLab } from './lab.js';
import { setupMaskPanel } from './mask-panel.js';
import { setupMcPanel } from './mc-panel.js';
import { setupScalingPanel } from './scaling-panel.js';
import { startTensorFlow } from './model.js';
import { setupSpeedPanel } from './speed-panel.js';
import { renderSweep } from './sweep-table.js';
import { setupTrainPanel } from './train-panel.js';
import { $, errorText } from './ui.js';

async function main(): Promise<void> {
  const adapterBadge = $('adapter');
  const found = await requestGpu();
  let gpu: Gpu | null = null;
  if (found.ok) {
    gpu = found.gpu;
    adapterBadge.className = `adapter${gpu.software ? ' warn' : ''}`;
    adapterBadge.textContent = `WebGPU adapter: ${gpu.adapterName}${gpu.software ? ' (software: a CPU emulating a GPU — correct, but slow)' : ''}`;
    document.body.dataset.adapter = gpu.adapterName;
    gpu.device.lost.then((info) => {
      if (info.reason !== 'destroyed') {
        adapterBadge.className = 'adapter error';
        adapterBadge.textContent = `WebGPU device lost: ${info.message} — reload the page`;
      }
    });
  } else {
    adapterBadge.className = 'adapter error';
    adapterBadge.textContent = 'No WebGPU: running on the CPU';
    $('no-webgpu-reason').textContent = found.reason;
    $('no-webgpu').hidden = false;
    document.body.dataset.adapter = 'none';
  }

  const data = await loadFashionMnist();
  const mask = setupMaskPanel(data, gpu);
  const backend = await startTensorFlow(gpu !== null);
  const tfBadge = $('tf-backend');
  tfBadge.hidden = false;
  tfBadge.className = `adapter${backend === 'webgpu' ? '' : ' warn'}`;
  tfBadge.textContent = `TensorFlow.js backend: ${backend}${backend === 'webgpu' ? ' (our dropout layer runs its fused kernel on it)' : ' (our layer\'s portable path)'}`;
  const lab = createLab(data, backend);
  renderSweep();
  setupTrainPanel(lab);
  const hist = setupHistPanel(lab);
  const scaling = setupScalingPanel(lab);
  setupMcPanel(lab);
  setupSpeedPanel(gpu);
  await Promise.all([mask.ready, hist.refresh(), scaling.refresh()]);
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  console.error(error);
  const badge = $('adapter');
  badge.className = 'adapter error';
  badge.textContent = `The demo failed to start: ${errorText(error)}`;
  document.body.dataset.ready = 'failed';
});
