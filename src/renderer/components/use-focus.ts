import { useEffect, useRef, type RefObject } from 'react';

/** Moves focus to the element when `when` becomes true (e.g. after a failed attempt). */
export function useFocus<T extends HTMLElement>(when: unknown): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (when) {
      ref.current?.focus();
      if (ref.current instanceof HTMLInputElement) ref.current.select();
    }
  }, [when]);
  return ref;
}

