/**
 * One media item as a person sees it: an image (click: full size, pixel-exact), a sound that
 * plays, a video (or an animated GIF), with its caption. Images load lazily: only the ones on
 * screen are fetched.
 */
import { useEffect, useState } from "preact/hooks";
import { mediaUrl } from "../../api/media";

export interface MediaRef {
  kind: string;
  digest: string;
  mime: string;
  caption?: string | null;
  width?: number | null;
  height?: number | null;
}

export function MediaView({ item, onOpen }: { item: MediaRef; onOpen?: (m: MediaRef) => void }) {
  const src = mediaUrl(item.digest);
  let body;
  if (item.mime.startsWith("image/")) {
    body = (
      <button type="button" class="media-thumb" aria-label={`open ${item.caption ?? "image"} full size`} onClick={() => onOpen?.(item)}>
        <img
          src={src}
          alt={item.caption ?? ""}
          loading="lazy"
          decoding="async"
          width={item.width ?? undefined}
          height={item.height ?? undefined}
          data-digest={item.digest}
        />
      </button>
    );
  } else if (item.mime.startsWith("audio/")) {
    body = <audio controls preload="none" src={src} data-digest={item.digest} />;
  } else if (item.mime.startsWith("video/")) {
    body = <video controls preload="metadata" src={src} data-digest={item.digest} />;
  } else {
    body = <span class="muted">{item.mime}</span>;
  }
  return (
    <figure class="media-item" data-kind={item.kind}>
      {body}
      {item.caption ? <figcaption>{item.caption}</figcaption> : null}
    </figure>
  );
}

/** The full-size view: the image at a whole-number zoom, never smoothed (image-rendering). */
export function Lightbox({ item, onClose }: { item: MediaRef; onClose: () => void }) {
  const [zoom, setZoom] = useState(1);
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, [onClose]);
  const w = item.width ? item.width * zoom : undefined;
  const h = item.height ? item.height * zoom : undefined;
  return (
    <div class="lightbox" role="dialog" aria-modal="true" aria-label="full-size image" onClick={onClose}>
      <div class="lightbox-bar" onClick={(e) => e.stopPropagation()}>
        {[1, 2, 4, 8].map((z) => (
          <button type="button" key={z} class={z === zoom ? "on" : ""} aria-pressed={z === zoom} onClick={() => setZoom(z)}>
            {z}×
          </button>
        ))}
        <span class="muted num">{item.width && item.height ? `${item.width}×${item.height}` : ""}</span>
        {item.caption ? <span>{item.caption}</span> : null}
        <button type="button" onClick={onClose} aria-label="close">
          ✕
        </button>
      </div>
      <div class="lightbox-body">
        <img class="pixelated" src={mediaUrl(item.digest)} alt={item.caption ?? ""} width={w} height={h} data-testid="lightbox-image" onClick={(e) => e.stopPropagation()} />
      </div>
    </div>
  );
}
