/** Reload a failed request when its screen is focused again (e.g. back from the identity or consent flow). */
import { useFocusEffect } from "expo-router";
import { useCallback, useRef } from "react";

import type { RequestState } from "./useRequest";

export function useReloadOnFocus<T>(req: RequestState<T>): void {
  const latest = useRef(req);
  latest.current = req;
  const first = useRef(true);
  useFocusEffect(
    useCallback(() => {
      if (first.current) {
        first.current = false;
        return;
      }
      if (latest.current.error) void latest.current.reload();
    }, []),
  );
}
