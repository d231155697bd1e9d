/** The best-run mark. Drawn, not an emoji: emoji fonts are missing on many Linux machines. */
export function Trophy({ size = 13 }: { size?: number }) {
  return (
    <svg class="trophy" viewBox="0 0 16 16" width={size} height={size} aria-hidden="true">
      <path
        fill="currentColor"
        d="M4 1h8v1h3v2.5A3.5 3.5 0 0 1 11.8 8 4 4 0 0 1 9 10.4V12h2.5v1.5h-7V12H7v-1.6A4 4 0 0 1 4.2 8 3.5 3.5 0 0 1 1 4.5V2h3V1Zm0 2.5H2.5v1A2 2 0 0 0 4 6.4V3.5Zm8 0v2.9a2 2 0 0 0 1.5-1.9v-1H12Z"
      />
    </svg>
  );
}
