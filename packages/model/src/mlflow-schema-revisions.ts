/**
 * The schema revisions of MLflow's tracking database (`alembic_version.version_num`), oldest first,
 * from `mlflow/store/db_migrations/versions` up to MLflow 3.6, and the revisions at which the tables
 * and columns that model URIs read appeared. Berth reads every one of these layouts (MLflow itself
 * opens only the newest); a revision not listed here is from a newer MLflow and is refused by name.
 */
export const MLFLOW_SCHEMA_REVISIONS = [
  '451aebb31d03', // add_metric_step
  '90e64c465722', // migrate_user_column_to_tags
  '181f10493468', // allow_nulls_for_metric_values
  'df50e92ffc5e', // add_experiment_tags_table
  '7ac759974ad8', // update_run_tags_with_larger_limit
  '89d4b8295536', // create_latest_metrics_table
  '2b4d017a5e9b', // add_model_registry_tables_to_db
  'cfd24bdc0731', // update_run_status_constraint_with_killed
  '0a8213491aaa', // drop_duplicate_killed_constraint
  '728d730b5ebd', // add_registered_model_tags_table
  '27a6a02d2cf1', // add_model_version_tags_table
  '84291f40a231', // add_run_link_to_model_version
  'a8c4a736bde6', // allow_nulls_for_run_id
  '39d1c3be5f05', // add_is_nan_constraint_for_metrics_tables_if_necessary
  'c48cb773bb87', // reset_default_value_for_is_nan_in_metrics_table_for_mysql
  'bd07f7e963c5', // create_index_on_run_uuid
  '0c779009ac13', // add_deleted_time_field_to_runs_table
  'cc1f77228345', // change_param_value_length_to_500
  '97727af70f4d', // creation_time_last_update_time_experiments
  '3500859a5d39', // add_model_aliases_table
  '7f2a7d5fae7d', // add_datasets_inputs_input_tags_tables
  '2d6e25af4d3e', // increase_max_param_val_length
  'acf3f17fdcc7', // add_storage_location_field_to_model_versions
  '867495a8f9d4', // add_trace_tables
  '5b0e9adcef9c', // add_cascade_deletion_to_trace_tables_fk
  '4465047574b1', // increase_max_dataset_schema_size
  'f5a4f2784254', // increase_run_tag_value_limit
  '0584bdc529eb', // add_cascading_deletion_to_datasets_from_experiments
  '400f98739977', // add_logged_model_tables (MLflow 3.0)
  '6953534de441', // add_step_to_inputs_table
  'bda7b8c39065', // increase_model_version_tag_value_limit
  'cbc13b556ace', // add_v3_trace_schema_columns
  '770bee3ae1dd', // add_assessments_table
  'a1b2c3d4e5f6', // add_spans_table
  'de4033877273', // create_entity_associations
  '1a0cddfcaa16', // add_webhooks_and_webhook_events_tables
  '534353b11cbc', // add_scorer_table
  '71994744cf8e', // add_evaluation_datasets
  '3da73c924c2f', // add_outputs_to_dataset_record
  'bf29a5ff90ea', // add_jobs_table (MLflow 3.6)
] as const;

/** What a database at a given revision has, of what model URIs read. */
export interface SchemaFeatures {
  revision: string;
  /** `registered_models`, `model_versions`. */
  registry: boolean;
  /** `registered_model_aliases`. */
  aliases: boolean;
  /** `model_versions.storage_location`. */
  storageLocation: boolean;
  /** `logged_models` (MLflow 3). */
  loggedModels: boolean;
}

function since(revision: (typeof MLFLOW_SCHEMA_REVISIONS)[number]): number {
  return MLFLOW_SCHEMA_REVISIONS.indexOf(revision);
}

/** The features of a known revision; undefined for one this list does not have. */
export function schemaFeatures(revision: string): SchemaFeatures | undefined {
  const index = (MLFLOW_SCHEMA_REVISIONS as readonly string[]).indexOf(revision);
  if (index < 0) return undefined;
  return {
    revision,
    registry: index >= since('2b4d017a5e9b'),
    aliases: index >= since('3500859a5d39'),
    storageLocation: index >= since('acf3f17fdcc7'),
    loggedModels: index >= since('400f98739977'),
  };
}
