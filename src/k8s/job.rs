//! The Kubernetes manifest of a split load run: one Indexed Job whose N pods
//! each run `ringside load ... --shards N --start-at T --json` (the pod's
//! shard is its `JOB_COMPLETION_INDEX`), built from k8s-openapi's typed
//! structs for [`KUBERNETES_VERSION`], so a field that does not exist there
//! does not compile.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    ObjectFieldSelector, PodAffinityTerm, PodAntiAffinity, PodSpec, PodTemplateSpec,
    ResourceRequirements, SeccompProfile, SecurityContext, Volume, VolumeMount,
    WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

/// The Kubernetes version the manifests are typed against (k8s-openapi's
/// `v1_34` feature) and validated for in the tests.
pub const KUBERNETES_VERSION: &str = "1.34";

/// The label that ties an agent pod to its run (and the anti-affinity to it).
pub const RUN_LABEL: &str = "ringside.dev/run";

static NO_SELECTOR: BTreeMap<String, String> = BTreeMap::new();

/// Everything the Job of load agents needs, already validated.
#[derive(Debug, Clone)]
pub struct AgentJob {
    /// Job name (a DNS-1123 label).
    pub name: String,
    pub namespace: Option<String>,
    pub image: String,
    pub agents: u32,
    /// `ringside load` arguments common to every agent (after `ringside`).
    pub args: Vec<String>,
    /// CPU and memory each agent requests, and is limited to.
    pub cpu: String,
    pub memory: String,
    /// The start every agent waits for, RFC 3339.
    pub start_at: String,
    /// Kubernetes stops the Job (and its pods) after this long.
    pub deadline: Duration,
    /// Prefer, rather than require, one agent per node.
    pub same_node_ok: bool,
}

/// `word` quoted for a POSIX shell when it needs it (a value printed in a
/// command the user will paste: `x;y` must stay one word).
pub fn sh(word: &str) -> String {
    match shlex::try_quote(word) {
        Ok(q) => q.into_owned(),
        // Only a NUL byte cannot be quoted; nothing validated holds one.
        Err(_) => "''".to_string(),
    }
}

/// A Job as YAML.
fn to_yaml(job: &Job) -> anyhow::Result<String> {
    serde_yaml_ng::to_string(job).map_err(|e| anyhow::anyhow!("writing the Job as YAML: {e}"))
}

fn env_from_field(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: path.into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// What every Indexed Job of ringside pods shares, whatever the pods run:
/// completion mode Indexed, all pods at once, no retries, one pod per node,
/// Guaranteed resources, a non-root container without privileges.
#[derive(Debug, Clone)]
pub struct PodSet<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// `app.kubernetes.io/name` of the Job and its pods.
    pub app: &'a str,
    pub image: &'a str,
    pub pods: u32,
    /// `ringside` arguments of every pod.
    pub args: Vec<String>,
    pub cpu: &'a str,
    pub memory: &'a str,
    pub deadline: Duration,
    pub same_node_ok: bool,
    /// Only nodes with these labels.
    pub node_selector: &'a BTreeMap<String, String>,
    /// Writable empty folders (name, mount path); the root file system is
    /// read-only when there is none.
    pub scratch: &'a [(&'a str, &'a str)],
    /// Environment beyond POD_NAME and NODE_NAME.
    pub env: Vec<(&'a str, &'a str)>,
    /// A read-only root file system (agents); run pods' stacks write caches
    /// next to their code (Deno's DENO_DIR, Python's bytecode).
    pub read_only_root: bool,
}

impl PodSet<'_> {
    pub fn job(&self) -> Job {
        let labels: BTreeMap<String, String> = [
            ("app.kubernetes.io/name".to_string(), self.app.to_string()),
            (RUN_LABEL.to_string(), self.name.to_string()),
        ]
        .into_iter()
        .collect();
        let resources: BTreeMap<String, Quantity> = [
            ("cpu".to_string(), Quantity(self.cpu.to_string())),
            ("memory".to_string(), Quantity(self.memory.to_string())),
        ]
        .into_iter()
        .collect();
        let term = PodAffinityTerm {
            label_selector: Some(LabelSelector {
                match_labels: Some([(RUN_LABEL.to_string(), self.name.to_string())].into()),
                ..Default::default()
            }),
            topology_key: "kubernetes.io/hostname".into(),
            ..Default::default()
        };
        let anti_affinity = if self.same_node_ok {
            PodAntiAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(vec![
                    WeightedPodAffinityTerm {
                        weight: 100,
                        pod_affinity_term: term,
                    },
                ]),
                ..Default::default()
            }
        } else {
            PodAntiAffinity {
                required_during_scheduling_ignored_during_execution: Some(vec![term]),
                ..Default::default()
            }
        };
        let mut env = vec![
            env_from_field("POD_NAME", "metadata.name"),
            env_from_field("NODE_NAME", "spec.nodeName"),
        ];
        env.extend(self.env.iter().map(|(name, value)| EnvVar {
            name: (*name).into(),
            value: Some((*value).into()),
            ..Default::default()
        }));
        let mounts: Vec<VolumeMount> = self
            .scratch
            .iter()
            .map(|(name, path)| VolumeMount {
                name: (*name).into(),
                mount_path: (*path).into(),
                ..Default::default()
            })
            .collect();
        let volumes: Vec<Volume> = self
            .scratch
            .iter()
            .map(|(name, _)| Volume {
                name: (*name).into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Default::default()
            })
            .collect();
        let container = Container {
            name: "ringside".into(),
            image: Some(self.image.to_string()),
            command: Some(vec!["ringside".into()]),
            args: Some(self.args.clone()),
            env: Some(env),
            resources: Some(ResourceRequirements {
                requests: Some(resources.clone()),
                limits: Some(resources),
                ..Default::default()
            }),
            volume_mounts: Some(mounts).filter(|m| !m.is_empty()),
            security_context: Some(SecurityContext {
                allow_privilege_escalation: Some(false),
                read_only_root_filesystem: Some(self.read_only_root),
                run_as_non_root: Some(true),
                run_as_user: Some(65532),
                capabilities: Some(Capabilities {
                    drop: Some(vec!["ALL".into()]),
                    ..Default::default()
                }),
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let pods = i32::try_from(self.pods).unwrap_or(i32::MAX);
        Job {
            metadata: ObjectMeta {
                name: Some(self.name.to_string()),
                namespace: self.namespace.map(str::to_string),
                labels: Some(labels.clone()),
                ..Default::default()
            },
            spec: Some(JobSpec {
                completion_mode: Some("Indexed".into()),
                completions: Some(pods),
                parallelism: Some(pods),
                backoff_limit: Some(0),
                active_deadline_seconds: Some(self.deadline.as_secs().max(1) as i64),
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(labels),
                        ..Default::default()
                    }),
                    spec: Some(PodSpec {
                        restart_policy: Some("Never".into()),
                        affinity: Some(Affinity {
                            pod_anti_affinity: Some(anti_affinity),
                            ..Default::default()
                        }),
                        node_selector: Some(self.node_selector.clone()).filter(|n| !n.is_empty()),
                        containers: vec![container],
                        volumes: Some(volumes).filter(|v| !v.is_empty()),
                        ..Default::default()
                    }),
                },
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// The shell commands that wait for the Job, save each pod's output to
    /// `NAME-I.EXT` and merge them with `merge_flags`.
    pub fn collect_commands(&self, ext: &str, merge_flags: &str) -> String {
        let ns = self
            .namespace
            .map_or(String::new(), |n| format!(" -n {}", sh(n)));
        let name = sh(self.name);
        format!(
            "kubectl{ns} wait --for=condition=complete job/{name} --timeout={}s\n\
             for i in $(seq 0 {last}); do\n  \
             kubectl{ns} logs --tail=-1 -l batch.kubernetes.io/job-name={name},batch.kubernetes.io/job-completion-index=$i > {name}-$i.{ext}\n\
             done\n\
             ringside merge {name}-*.{ext}{merge_flags}\n",
            self.deadline.as_secs(),
            last = self.pods.saturating_sub(1)
        )
    }
}

impl AgentJob {
    fn pods(&self) -> PodSet<'_> {
        let mut args = vec!["load".to_string()];
        args.extend(self.args.iter().cloned());
        // `--start-at=TIME` as one word: a bare RFC 3339 time is a YAML
        // timestamp, which YAML readers may turn into a date instead of a string.
        args.extend([
            "--shards".into(),
            self.agents.to_string(),
            format!("--start-at={}", self.start_at),
        ]);
        if !self.args.iter().any(|a| a == "--json") {
            args.push("--json".into());
        }
        PodSet {
            name: &self.name,
            namespace: self.namespace.as_deref(),
            app: "ringside-load",
            image: &self.image,
            pods: self.agents,
            args,
            cpu: &self.cpu,
            memory: &self.memory,
            deadline: self.deadline,
            same_node_ok: self.same_node_ok,
            node_selector: &NO_SELECTOR,
            scratch: &[],
            env: Vec::new(),
            read_only_root: true,
        }
    }

    /// The Job: N agents, every one running `ringside load ... --shards N
    /// --start-at T --json` in a read-only container.
    pub fn job(&self) -> Job {
        self.pods().job()
    }

    /// The Job as YAML, under a comment saying what it is and when it starts.
    pub fn yaml(&self) -> anyhow::Result<String> {
        let body = to_yaml(&self.job())?;
        Ok(format!(
            "# ringside load as {} agents (a Kubernetes {KUBERNETES_VERSION} Indexed Job); \
             every agent starts at {}.\n# Apply it before then: kubectl apply -f <this file>\n{body}",
            self.agents, self.start_at
        ))
    }

    /// The shell commands that wait for the agents, collect their reports and merge them.
    pub fn collect_commands(&self) -> String {
        self.pods().collect_commands("json", "")
    }
}

/// Where a run pod writes its results (an emptyDir): the run's folder is
/// `RUN_OUT`, printed to the log by `--emit-results` when it ends.
pub const RUN_OUT: &str = "/results/run";

/// Everything the Job of a sharded `ringside run` needs, already validated.
#[derive(Debug, Clone)]
pub struct RunJob {
    pub name: String,
    pub namespace: Option<String>,
    pub image: String,
    /// Pods: the run's shards, one node each.
    pub shards: u32,
    /// `ringside run` flags common to every shard.
    pub args: Vec<String>,
    pub cpu: String,
    pub memory: String,
    pub deadline: Duration,
    pub same_node_ok: bool,
    pub node_selector: BTreeMap<String, String>,
    /// The stacks each shard measures (for the manifest's comment).
    pub stacks: Vec<Vec<String>>,
}

impl RunJob {
    fn pods(&self) -> PodSet<'_> {
        let mut args = vec!["run".to_string()];
        args.extend(self.args.iter().cloned());
        args.extend([
            "--shards".into(),
            self.shards.to_string(),
            "--out".into(),
            RUN_OUT.into(),
            "--emit-results".into(),
        ]);
        if !self.args.iter().any(|a| a == "--plain") {
            args.push("--plain".into());
        }
        PodSet {
            name: &self.name,
            namespace: self.namespace.as_deref(),
            app: "ringside-run",
            image: &self.image,
            pods: self.shards,
            args,
            cpu: &self.cpu,
            memory: &self.memory,
            deadline: self.deadline,
            same_node_ok: self.same_node_ok,
            node_selector: &self.node_selector,
            scratch: &[("results", "/results"), ("tmp", "/tmp")],
            env: vec![("HOME", "/tmp")],
            read_only_root: false,
        }
    }

    /// The Job: N shards, every one running `ringside run ... --shards N
    /// --out /results/run --emit-results` on a node of its own.
    pub fn job(&self) -> Job {
        self.pods().job()
    }

    /// The Job as YAML, under a comment naming each shard's stacks.
    pub fn yaml(&self) -> anyhow::Result<String> {
        let body = to_yaml(&self.job())?;
        let shards: String = self
            .stacks
            .iter()
            .enumerate()
            .map(|(i, s)| format!("#   shard {i}: {}\n", s.join(", ")))
            .collect();
        Ok(format!(
            "# ringside run as {} shards, one node each (a Kubernetes {KUBERNETES_VERSION} Indexed Job):\n\
             {shards}# kubectl apply -f <this file>\n{body}",
            self.shards
        ))
    }

    /// The commands that wait for the shards, save their logs and merge the runs.
    pub fn collect_commands(&self) -> String {
        self.pods()
            .collect_commands("log", &format!(" --out {}-merged/", sh(&self.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> AgentJob {
        AgentJob {
            name: "ringside-load".into(),
            namespace: None,
            image: "example/ringside:0.1".into(),
            agents: 3,
            args: vec![
                "http://target:8080/json".into(),
                "--rate".into(),
                "900".into(),
            ],
            cpu: "1".into(),
            memory: "256Mi".into(),
            start_at: "2026-11-23T10:00:00Z".into(),
            deadline: Duration::from_secs(300),
            same_node_ok: false,
        }
    }

    #[test]
    fn every_value_in_the_printed_commands_is_shell_quoted() {
        assert_eq!(sh("x;y"), "'x;y'");
        assert_eq!(sh("team-a"), "team-a");
        assert_eq!(sh("a b'c"), "\"a b'c\"");
        // Even a value that escaped validation stays one word in the commands.
        let hostile = AgentJob {
            namespace: Some("x;touch /tmp/pwned".into()),
            name: "a$(id)".into(),
            ..job()
        };
        let commands = hostile.collect_commands();
        assert!(commands.contains("-n 'x;touch /tmp/pwned'"), "{commands}");
        assert!(commands.contains("job/'a$(id)'"), "{commands}");
        let words = shlex::split(commands.lines().next().unwrap()).unwrap();
        assert_eq!(words[1..3], ["-n", "x;touch /tmp/pwned"]);
    }

    #[test]
    fn an_indexed_job_of_n_agents_on_distinct_nodes() {
        let v = serde_json::to_value(job().job()).unwrap();
        assert_eq!(v["apiVersion"], "batch/v1");
        assert_eq!(v["kind"], "Job");
        let spec = &v["spec"];
        assert_eq!(spec["completionMode"], "Indexed");
        assert_eq!(
            (spec["completions"].as_i64(), spec["parallelism"].as_i64()),
            (Some(3), Some(3))
        );
        let pod = &spec["template"]["spec"];
        let term = &pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            [0];
        assert_eq!(term["topologyKey"], "kubernetes.io/hostname");
        assert_eq!(
            term["labelSelector"]["matchLabels"][RUN_LABEL],
            "ringside-load"
        );
        assert_eq!(
            spec["template"]["metadata"]["labels"][RUN_LABEL],
            "ringside-load"
        );
        let c = &pod["containers"][0];
        assert_eq!(c["resources"]["requests"]["cpu"], "1");
        assert_eq!(c["resources"]["limits"]["memory"], "256Mi");
        let args: Vec<&str> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(
            args,
            [
                "load",
                "http://target:8080/json",
                "--rate",
                "900",
                "--shards",
                "3",
                "--start-at=2026-11-23T10:00:00Z",
                "--json"
            ]
        );
        let yaml = job().yaml().unwrap();
        assert!(yaml.starts_with("# ringside load as 3 agents"), "{yaml}");
        assert!(
            job()
                .collect_commands()
                .contains("job-completion-index=$i > ringside-load-$i.json")
        );
    }
}
