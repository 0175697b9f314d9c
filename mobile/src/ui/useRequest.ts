/** Load something from the gateway with loading / data / error states and a reload. */
import { useCallback, useEffect, useRef, useState } from "react";

import { ApiError } from "../api/problem";

export type RequestState<T> = {
  loading: boolean;
  data: T | null;
  error: ApiError | Error | null;
  reload: () => Promise<void>;
};

export function useRequest<T>(load: () => Promise<T>, deps: unknown[] = []): RequestState<T> {
  const [state, setState] = useState<{ loading: boolean; data: T | null; error: ApiError | Error | null }>({
    loading: true,
    data: null,
    error: null,
  });
  const live = useRef(true);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    setState((s) => ({ ...s, loading: true, error: null }));
    try {
      const data = await run();
      if (live.current) setState({ loading: false, data, error: null });
    } catch (e) {
      if (live.current) setState({ loading: false, data: null, error: e as Error });
    }
  }, [run]);
  useEffect(() => {
    live.current = true;
    void reload();
    return () => {
      live.current = false;
    };
  }, [reload]);
  return { ...state, reload };
}
