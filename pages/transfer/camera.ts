// The camera, where the browser has one: a live preview and a button that adds the current frame
// (centre-cropped to 224 × 224) to the class that opened it.
import { cropToRgba } from './pictures.js';

export interface Camera {
  close(): void;
}

export async function openCamera(className: string, capture: (rgba: Uint8ClampedArray) => void): Promise<Camera> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('This browser gives the page no camera (navigator.mediaDevices.getUserMedia is missing; it needs https or localhost).');
  const box = document.getElementById('camera-box')!;
  const video = document.getElementById('camera-video') as HTMLVideoElement;
  const take = document.getElementById('camera-capture') as HTMLButtonElement;
  const stop = document.getElementById('camera-close') as HTMLButtonElement;
  const note = document.getElementById('camera-note')!;
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (e) {
    throw new Error(`The camera could not be opened: ${(e as Error).message}`);
  }
  video.srcObject = stream;
  await video.play().catch(() => undefined);
  box.hidden = false;
  note.textContent = `each picture goes to "${className}"`;
  const onTake = () => {
    if (video.videoWidth > 0) capture(cropToRgba(video, video.videoWidth, video.videoHeight));
  };
  const close = () => {
    for (const t of stream.getTracks()) t.stop();
    video.srcObject = null;
    box.hidden = true;
    take.removeEventListener('click', onTake);
    stop.removeEventListener('click', close);
  };
  take.addEventListener('click', onTake);
  stop.addEventListener('click', close);
  return { close };
}
