/** Control-panel pieces the plugins share. */

interface ControlPanelState {
  datasource?: { columns?: { column_name: string }[] } | null;
}

/** A column picker over the dataset's columns that also accepts a typed name. */
export function columnControl(name: string, label: string, defaultColumn: string, description: string) {
  return {
    name,
    config: {
      type: 'SelectControl',
      label,
      description,
      default: defaultColumn,
      freeForm: true,
      clearable: false,
      mapStateToProps: (state: ControlPanelState) => ({
        choices: (state.datasource?.columns ?? []).map(column => [column.column_name, column.column_name]),
      }),
    },
  };
}
