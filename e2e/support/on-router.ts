// What a Pod's spec carries to land on the router, as the README documents it: the Virtual
// Kubelet node's selector and the toleration of its provider taint.
export const onRouter = {
  nodeSelector: { type: 'virtual-kubelet' },
  tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Equal', value: 'mikrotik', effect: 'NoSchedule' }],
};
